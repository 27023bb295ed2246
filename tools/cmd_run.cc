// moesim run: simulate a scenario and write its report (summary.json, resolved-scenario.json, ledgers, CDFs).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "common/scenario_file.h"
#include "sim/cluster/wiring.h"
#include "tools/commands.h"
#include "tools/report.h"

namespace moesim::tools {

namespace {

struct RunOptions {
  std::string scenario;
  std::string out = "out/run";
  int64_t seed = -1;
  double scale = 0.0;
  double drain_s = 86400.0;
  std::vector<std::string> sets;
};

void run(const RunOptions& o) {
  std::vector<std::string> overrides = o.sets;
  if (o.seed >= 0) overrides.push_back(fmt::format("seed={}", o.seed));
  if (o.scale > 0) overrides.push_back(fmt::format("workload.scale={}", o.scale));
  auto doc = resolve_scenario(o.scenario, overrides);
  auto scenario = cluster::parse_scenario(doc, o.scenario);
  cluster::ProgressFn progress;
  if (isatty(STDERR_FILENO)) {
    auto start = std::chrono::steady_clock::now();
    auto last = start;
    double horizon = scenario.horizon_s;
    progress = [start, last, horizon](engine::Time now, uint64_t events) mutable {
      auto t = std::chrono::steady_clock::now();
      if (t - last < std::chrono::milliseconds(500)) return;
      last = t;
      double wall = std::chrono::duration<double>(t - start).count();
      double frac = std::min(1.0, now.seconds() / horizon);
      double eta = frac > 0 ? wall * (1 - frac) / frac : 0.0;
      fmt::print(stderr, "\r  simulated {} ({:.0f} %), {:.2f} M events/s, ETA {:.0f} s   ", engine::to_string(now),
                 frac * 100, static_cast<double>(events) / wall / 1e6, eta);
    };
  }
  auto report = cluster::run_and_write(scenario, o.out, o.drain_s, progress);
  if (progress) fmt::print(stderr, "\n");
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
  sub->add_option("--set", opts->sets, "override a field: key.path=value (repeatable)");
  sub->callback([opts] { run(*opts); });
}

}  // namespace moesim::tools
