// moesim compare: the scenario as it stands (the baseline) against variants that change key paths, each run on the
// same seeds (common random numbers: for a seed, every variant sees the same arrivals, lengths, prefixes and MTP
// acceptances), on the study runner's threads and MPI ranks. For every variant and figure: the paired difference
// over seeds, its Student-t interval, the relative change and a verdict with Holm's correction across figures
// (tools/study/compare.h). Writes DIR/compare.json, compare.csv and compare.png, and prints a table.
// Every variant is parsed (and its scenario checked) before anything runs: a bad variant is exit 2 at once.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/error.h"
#include "common/output_paths.h"
#include "common/scenario_file.h"
#include "sim/cluster/scenario.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/study/candidates.h"
#include "tools/study/compare.h"
#include "tools/study/runner.h"
#include "tools/study_options.h"

namespace moesim::tools {

namespace {

// --independent-streams: variant k (1, 2, ...) runs seed s + k x this, so that no two variants share a stream.
constexpr uint64_t kIndependentSeedOffset = 1'000'003;

struct CompareOptions {
  StudyOptions study{.seeds = 5};
  std::vector<std::string> variants;
  bool independent = false;
  bool plot = true;
};

struct Plan {
  std::string name;
  uint64_t first_seed = 1;
  std::vector<study::Variant> variants;  // [0] is the baseline (no overrides)
  std::vector<study::Job> jobs;          // candidate k = variants[k], seeds in order
};

// Parses every variant and checks its scenario; builds the jobs. Nothing runs before this has passed.
Plan make_plan(const CompareOptions& options) {
  const StudyOptions& o = options.study;
  if (o.seeds < 1 || o.seeds > 100'000) {
    throw InputError(
        fmt::format("--seeds {}: a comparison needs 1 to 100000 seeds (2 or more for an interval)", o.seeds));
  }
  if (options.variants.empty()) throw InputError("compare: give at least one --variant NAME:key.path=value");
  Plan plan;
  plan.variants.push_back({.name = "baseline", .overrides = {}});
  for (const auto& text : options.variants) plan.variants.push_back(study::parse_variant(text));
  study::check_distinct_names(plan.variants);
  const nlohmann::json base = resolve_scenario(o.scenario, o.overrides());
  for (size_t k = 0; k < plan.variants.size(); ++k) {
    const auto& v = plan.variants[k];
    study::Job job;
    job.candidate = static_cast<int64_t>(k);
    job.origin = o.scenario;
    job.scenario = base;
    job.labels = v.labels();
    if (k == 0) {  // the baseline: the scenario as it stands, its errors as `moesim run` gives them
      auto scenario = cluster::parse_scenario(job.scenario, o.scenario);
      plan.name = scenario.name;
      plan.first_seed = scenario.seed;
    } else {
      study::variant_scenario(job.scenario, v, o.scenario);
    }
    for (int64_t s = 0; s < o.seeds; ++s) {
      job.seed = plan.first_seed + static_cast<uint64_t>(s) + (options.independent ? k * kIndependentSeedOffset : 0);
      plan.jobs.push_back(job);
    }
  }
  return plan;
}

std::string signed_figure(double x) { return fmt::format("{:+.4g}", x); }

void print_table(const Plan& plan, const std::vector<study::ComparisonRow>& rows, const CompareOptions& options) {
  const StudyOptions& o = options.study;
  size_t row = 0;
  for (size_t k = 1; k < plan.variants.size(); ++k) {
    const auto& v = plan.variants[k];
    std::string changes;
    for (const auto& a : v.overrides) changes += (changes.empty() ? "" : ", ") + a;
    fmt::print("\nvariant {} ({}) against the baseline, {} seed(s), {}\n", v.name, changes, o.seeds,
               options.independent ? "independent streams" : "common random numbers");
    fmt::print("{:<26} {:>6} {:>11} {:>11} {:>25} {:>9}  {}\n", "figure", "better", "baseline", "difference",
               "95 % interval", "relative", "verdict");
    for (size_t f = 0; f < study::compare_figures().size(); ++f, ++row) {
      const auto& r = rows[row];
      const auto& s = r.stats;
      std::string interval = s.ci_low ? fmt::format("[{}, {}]", signed_figure(*s.ci_low), signed_figure(*s.ci_high))
                                      : std::string("none (one seed)");
      std::string relative = s.relative ? fmt::format("{:+.2f} %", *s.relative * 100.0) : std::string("-");
      fmt::print("{:<26} {:>6} {:>11.4g} {:>11} {:>25} {:>9}  {}\n", r.figure->name,
                 observe::better_name(r.figure->better), s.baseline_mean, signed_figure(s.difference), interval,
                 relative, r.verdict);
    }
  }
  fmt::print("\n{}\n", study::correction_statement());
  if (o.seeds == 1) fmt::print("one seed: differences only, no interval is possible (use --seeds 2 or more)\n");
}

void compare(const CompareOptions& options) {
  const StudyOptions& o = options.study;
  study::Ranks ranks;  // first: under mpirun it initializes MPI (and finalizes it last)
  Plan plan;
  try {
    plan = make_plan(options);
  } catch (const InputError&) {
    if (!ranks.root()) throw ExitStatus{kExitBadInput};  // every rank finds the same mistake; rank 0 says it
    throw;
  }
  study::RunnerOptions runner{.threads = o.threads, .drain_s = o.drain_s};
  if (!ranks.root()) {
    study::run_jobs(plan.jobs, ranks, runner, {});
    return;
  }
  const std::filesystem::path out(o.out);
  try {
    prepare_output_folder(out, "--out");
  } catch (const InputError& e) {
    // The other ranks are already running and would wait for rank 0 forever: end them all.
    if (ranks.size() > 1) {
      fmt::print(stderr, "error: {}\n", e.what());
      ranks.abort(kExitBadInput);
    }
    throw;
  }

  ProgressDisplay progress(fmt::format("compare {}", plan.name), RunCount{static_cast<int64_t>(plan.jobs.size())});
  runner.on_wait = [&progress] { progress.tick(); };
  std::vector<observe::RunReport> reports(plan.jobs.size());
  std::string first_failure;
  int64_t failed = 0;
  study::run_jobs(plan.jobs, ranks, runner, [&](const study::Job& job, const study::JobResult& r) {
    if (r.report) {
      reports[r.index] = *r.report;
      progress.run_done(r.report->events_executed, r.report->conservation.requests_in);
    } else {
      progress.run_done(0, 0);
      if (failed++ == 0) first_failure = fmt::format("{}, seed {}: {}", study::describe(job.labels), job.seed, r.error);
    }
  });
  progress.finish();
  if (failed > 0) {
    fmt::print(stderr, "error: {} of {} runs failed; the first: {}\n", failed, plan.jobs.size(), first_failure);
    throw ExitStatus{1};
  }

  const auto seeds = static_cast<size_t>(o.seeds);
  std::span<const observe::RunReport> all(reports);
  std::vector<study::ComparisonRow> rows;
  for (size_t k = 1; k < plan.variants.size(); ++k) {
    auto part = study::compare_variant(plan.variants[k].name, all.subspan(0, seeds), all.subspan(k * seeds, seeds));
    rows.insert(rows.end(), part.begin(), part.end());
  }
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : plan.variants) variants.push_back({{"name", v.name}, {"overrides", v.overrides}});
  nlohmann::json doc = {{"scenario", plan.name},
                        {"scenario_file", o.scenario},
                        {"set", o.sets},
                        {"scale", o.scale > 0 ? nlohmann::json(o.scale) : nlohmann::json()},
                        {"seeds", o.seeds},
                        {"first_seed", plan.first_seed},
                        {"streams", options.independent ? "independent" : "common"},
                        {"independent_seed_offset", options.independent ? kIndependentSeedOffset : 0},
                        {"confidence", 0.95},
                        {"family_wise_error", 0.05},
                        {"correction", study::correction_statement()},
                        {"variants", variants},
                        {"rows", study::rows_json(rows)}};
  write_text_file(out / "compare.json", doc.dump(2) + "\n");
  write_text_file(out / "compare.csv", study::rows_csv(rows));
  print_table(plan, rows, options);
  // compare.png from compare.json (matplotlib); the comparison stands without it.
  std::string script = std::string(MOESIM_SOURCE_DIR) + "/tools/plot_compare.py";
  std::string cmd = fmt::format("/usr/bin/python3 '{}' '{}' >/dev/null 2>&1", script, o.out);
  bool plotted = options.plot && std::filesystem::exists(script) && std::system(cmd.c_str()) == 0;
  fmt::print("wrote {0}/compare.json, {0}/compare.csv{1}\n", o.out,
             plotted        ? fmt::format(", {}/compare.png", o.out)
             : options.plot ? std::string(" (no compare.png: python3 with matplotlib not found)")
                            : std::string(" (no compare.png: --no-plot)"));
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto opts = std::make_shared<CompareOptions>();
  auto* sub = app.add_subcommand(
      "compare", "the scenario against policy variants on common seeds: paired differences with confidence intervals");
  sub->add_option("--variant", opts->variants,
                  "NAME:key.path=value[,key.path=value...]: a variant of the scenario (repeatable)")
      ->required();
  add_study_options(*sub, opts->study,
                    {.scenario = "scenario JSON file (as it stands: the baseline)",
                     .out = "output folder (compare.json, compare.csv, compare.png)",
                     .seeds = "seeds per variant: the scenario's seed + 0, 1, ..., N-1",
                     .max_seeds = 0,  // make_plan checks the count, with what a comparison needs
                     .scale = "override workload.scale (thins the generated day)",
                     .scale_check = CLI::Range(1e-9, 1.0),
                     .set = "override a field of the baseline and every variant: key.path=value"});
  sub->add_flag("--independent-streams", opts->independent,
                "give each variant its own seeds (to measure what common random numbers buy)");
  sub->add_flag("--plot,!--no-plot", opts->plot, "draw compare.png with python3 and matplotlib (default: yes)");
  sub->callback([opts] { compare(*opts); });
}

}  // namespace moesim::tools
