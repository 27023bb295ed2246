// Running commands from end-to-end tests: the moesim binary under test, or any shell command.
//
//   auto r = moesim::test::run_moesim("step --phase decode --ep 144 --batch-per-gpu 8 --kv-len 100 --json");
//   REQUIRE(r.status == 0);
#pragma once

#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace moesim::test {

struct CommandResult {
  int status;          ///< exit status (-1 if it did not exit normally)
  std::string output;  ///< stdout and stderr together
};

/// Runs a shell command as given (fold stderr in with "2>&1" where wanted); returns its status and stdout.
inline CommandResult run_shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::array<char, 4096> buffer;
  size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), got);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

/// A fresh, empty folder of that name in the system's temporary folder (what was there is removed).
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// The scenario argument of the study commands' end-to-end tests: steady-small cut to 20 simulated seconds, with
/// even expert routing; well under a second a run.
inline std::string tiny_scenario_args() {
  return std::string(MOESIM_SOURCE_DIR) +
         "/scenarios/steady-small.json --set horizon_s=20 --set experts.skew=\\\"uniform\\\" "
         "--set experts.eplb=\\\"none\\\"";
}

/// Runs the moesim binary this test was built with (MOESIM_BINARY), stderr folded into the output.
inline CommandResult run_moesim(const std::string& args) {
  return run_shell(std::string(MOESIM_BINARY) + " " + args + " 2>&1");
}

/// `moesim step --json ARGS`, parsed; a failing run fails the test with its output.
inline nlohmann::json step_json(const std::string& args) {
  auto r = run_moesim("step --json " + args);
  INFO(r.output);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.output);
}

}  // namespace moesim::test
