// Where moesim finds its data files (hardware specs and tables, the model description, scenarios, trace samples).
//
//   auto spec = moesim::data_path("hardware/specs/h800.json");
#pragma once

#include <filesystem>
#include <string_view>

namespace moesim {

/// The project root that holds hardware/, models/, scenarios/ and traces/: $MOESIM_DATA_DIR if set, else the source
/// tree this binary was built from.
std::filesystem::path data_dir();

/// data_dir() / relative.
std::filesystem::path data_path(std::string_view relative);

/// Whether `file` exists. False, not an exception, when it cannot be looked up: a name from the user's input (a
/// hardware name, a profile) may make a path the system refuses, such as a component over 255 bytes (ENAMETOOLONG),
/// and the caller's "unknown ..." InputError is the answer to that.
bool file_exists(const std::filesystem::path& file);

}  // namespace moesim
