// moesim run: simulate a scenario and write its report (summary.json, resolved-scenario.json, ledgers, CDFs).
#include <fmt/format.h>

#include <cstdio>

#include "common/scenario_file.h"
#include "sim/cluster/wiring.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/report.h"

namespace moesim::tools {

namespace {

struct RunOptions {
  std::string scenario;
  std::string out = "out/run";
  int64_t seed = -1;
  double scale = 0.0;
  double drain_s = 86400.0;
  bool exact = false;
  std::vector<std::string> sets;
};

void run(const RunOptions& o) {
  std::vector<std::string> overrides = o.sets;
  if (o.seed >= 0) overrides.push_back(fmt::format("seed={}", o.seed));
  if (o.scale > 0) overrides.push_back(fmt::format("workload.scale={}", o.scale));
  auto doc = resolve_scenario(o.scenario, overrides);
  auto scenario = cluster::parse_scenario(doc, o.scenario);
  ProgressDisplay progress(fmt::format("run {}", scenario.name), scenario.horizon_s);
  cluster::RunControl control{.drain_s = o.drain_s, .exact = o.exact, .progress = progress.callback()};
  auto report = cluster::run_and_write(scenario, o.out, control);
  progress.finish();
  print_report(report, scenario);
  fmt::print("wrote {}/summary.json, resolved-scenario.json, hourly.csv, minutes.csv, latency-cdf.csv\n", o.out);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "simulate a scenario and write its report");
  sub->add_option("scenario", opts->scenario, "scenario JSON file")->required()->check(CLI::ExistingFile);
  sub->add_option("--out", opts->out, "output folder")->capture_default_str();
  sub->add_option("--seed", opts->seed, "override the scenario's seed");
  sub->add_option("--scale", opts->scale, "override workload.scale (thins the generated day)");
  sub->add_option("--drain-s", opts->drain_s, "how long requests in flight get to finish after the horizon")
      ->capture_default_str();
  sub->add_flag("--exact", opts->exact,
                "no approximation made for speed: every decode step computed from its loads, the expert-load table "
                "by adaptive quadrature (docs/performance.md compares both)");
  sub->add_option("--set", opts->sets, "override a field: key.path=value (repeatable)");
  sub->callback([opts] { run(*opts); });
}

}  // namespace moesim::tools
