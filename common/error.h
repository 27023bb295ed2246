// Errors that moesim reports to its user.
//
//   throw moesim::InputError("scenarios/day.json: fleet.decode.ep: expected a positive integer, got -4");
//   // tools/ catches it, prints the message and exits with status 2.
#pragma once

#include <stdexcept>
#include <string>

namespace moesim {

/// Bad input from the user: a scenario, a trace, a table or a command-line value. The message names the place
/// (file and JSON path, or file:line). The command line prints it and exits with status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Exit status for bad input.
inline constexpr int kExitBadInput = 2;

}  // namespace moesim
