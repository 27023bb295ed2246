#include "tools/study_options.h"

#include <fmt/format.h>

#include "tools/cli_checks.h"

namespace moesim::tools {

std::vector<std::string> StudyOptions::overrides() const {
  std::vector<std::string> out = sets;
  if (scale > 0) out.push_back(fmt::format("workload.scale={}", scale));
  return out;
}

CLI::Validator StudyOptionHelp::within_scale(double max) { return within(0.0, max, true); }

void add_study_options(CLI::App& sub, StudyOptions& o, const StudyOptionHelp& help) {
  sub.add_option("scenario", o.scenario, help.scenario)->required()->check(CLI::ExistingFile);
  sub.add_option("--out", o.out, help.out)->required();
  auto* seeds = sub.add_option("--seeds", o.seeds, help.seeds)->capture_default_str();
  if (help.max_seeds > 0) seeds->check(CLI::Range(1, help.max_seeds));
  sub.add_option("--threads", o.threads, "threads per process (default: the cores, shared among local ranks)")
      ->check(CLI::Range(1, 4096));
  sub.add_option("--scale", o.scale, help.scale)->check(help.scale_check);
  sub.add_option("--set", o.sets, help.set);
  sub.add_option("--drain-s", o.drain_s, "how long requests in flight get to finish after the horizon")
      ->capture_default_str();
}

}  // namespace moesim::tools
