// The moesim command line: one add_*_command per subcommand, each in its own file, wired up in main.cc.
//
//   CLI::App app{"moesim"};
//   moesim::tools::add_step_command(app);
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>

namespace moesim::tools {

/// Exit statuses beyond 0 (done), 1 (internal error) and 2 (bad input, common/error.h); docs/errors.md lists them all.
inline constexpr int kExitNotBuilt = 3;     ///< a subcommand that is not built yet
inline constexpr int kExitCheckMissed = 4;  ///< `trace gen --check` missed a target; `plan` found no feasible candidate
inline constexpr int kExitRunLimit = 5;     ///< `run`: stopped at a limit; partial results written (complete: false)
/// `run` stopped by signal N (SIGINT 130, SIGTERM 143): partial results written, as shells report a signal.
inline constexpr int kExitSignalBase = 128;

/// Thrown by a command to end the program with a given exit status (after it printed what it had to say).
struct ExitStatus {
  int code;
};

void add_run_command(CLI::App& app);
void add_step_command(CLI::App& app);
void add_pipeline_command(CLI::App& app);
void add_eplb_command(CLI::App& app);
void add_trace_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);
void add_fit_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_hardware_command(CLI::App& app);
void add_model_command(CLI::App& app);

/// For subcommands that are not built yet: prints so and exits non-zero.
[[noreturn]] void not_built_yet(const char* name, const char* hint);

}  // namespace moesim::tools
