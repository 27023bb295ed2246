// The options that the study commands (sweep, plan, compare) share, declared once: the scenario, the output folder,
// the seeds, the threads, --scale, --set and --drain-s. Each command keeps its own options (--grid, --space,
// --variant, ...) and says in a StudyOptionHelp what the shared ones mean for it.
//
//   add_study_options(*sub, opts->study, {.out = "output folder (results.sqlite, results.csv)", .seeds = "..."});
//   nlohmann::json base = resolve_scenario(opts->study.scenario, opts->study.overrides());
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace moesim::tools {

struct StudyOptions {
  std::string scenario{};
  std::string out{};
  int64_t seeds = 1;
  int threads = 0;     ///< 0: the cores, shared among the local ranks
  double scale = 0.0;  ///< 0: the scenario's own workload.scale
  double drain_s = 86400.0;
  std::vector<std::string> sets{};  ///< --set key.path=value, in order

  /// What every candidate's scenario is resolved with: the --set overrides, then workload.scale when --scale is given.
  std::vector<std::string> overrides() const;
};

/// What the shared options say of one command in its help, and the limits that differ between commands.
struct StudyOptionHelp {
  const char* scenario = "scenario JSON file";
  const char* out = "";    ///< "output folder (...)": what the folder receives
  const char* seeds = "";  ///< what a seed runs: "seeds per candidate: ..."
  int max_seeds = 0;       ///< checked on the command line; 0: the command checks the count itself
  const char* scale = "override workload.scale (below 1 thins the generated day, above 1 densifies it)";
  CLI::Validator scale_check = within_scale(100.0);
  const char* set = "override a field of every candidate: key.path=value (repeatable)";

  /// --scale in (0, max].
  static CLI::Validator within_scale(double max);
};

/// Adds the scenario (positional, an existing file), --out (required), --seeds, --threads, --scale, --set and
/// --drain-s to `sub`, in that order, writing into `o` (its current values are the defaults shown).
void add_study_options(CLI::App& sub, StudyOptions& o, const StudyOptionHelp& help);

}  // namespace moesim::tools
