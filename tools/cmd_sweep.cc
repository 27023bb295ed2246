// moesim sweep: every candidate of a grid (scenario key paths x values) times every seed, run on threads or MPI
// ranks (tools/study/runner.h), one row per run in DIR/results.sqlite and DIR/results.csv (tools/study/results_db.h).
// Every candidate's scenario is parsed before anything runs, so a bad grid or key path fails at once. A rerun into
// the same DIR keeps the rows already there and runs only those missing or failed (tools/study/resume.h); --fresh
// starts afresh.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "common/error.h"
#include "common/scenario_file.h"
#include "sim/cluster/scenario.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/study/candidates.h"
#include "tools/study/grid.h"
#include "tools/study/results_db.h"
#include "tools/study/resume.h"
#include "tools/study/runner.h"
#include "tools/study_options.h"

namespace moesim::tools {

namespace {

struct SweepOptions {
  StudyOptions study;
  std::string grid;
  bool exact = false;
  bool keep_runs = false;
  bool fresh = false;
};

// Every candidate x seed, in (candidate, seed) order. Each candidate's scenario is parsed here: a value or key path
// the strict parser rejects is an InputError naming the grid, the candidate and the parser's message.
std::vector<study::Job> make_jobs(const SweepOptions& options, const study::Grid& grid, std::string& name) {
  const StudyOptions& o = options.study;
  const nlohmann::json base = resolve_scenario(o.scenario, o.overrides());
  std::vector<study::Job> jobs;
  for (size_t c = 0; c < grid.candidates.size(); ++c) {
    study::Job job;
    job.candidate = static_cast<int64_t>(c);
    job.origin = o.scenario;
    job.scenario = base;
    for (size_t k = 0; k < grid.keys.size(); ++k) job.labels.emplace_back(grid.keys[k], grid.candidates[c][k]);
    auto scenario = study::candidate_scenario(job.scenario, job.labels, o.scenario, options.grid, c);
    const uint64_t first_seed = scenario.seed;
    if (c == 0) name = scenario.name;
    for (int64_t s = 0; s < o.seeds; ++s) {
      job.seed = first_seed + static_cast<uint64_t>(s);
      if (options.keep_runs)
        job.out_dir = std::filesystem::path(o.out) / fmt::format("runs/c{:03}-s{:02}", c, job.seed);
      jobs.push_back(job);
    }
  }
  return jobs;
}

void sweep(const SweepOptions& options) {
  const StudyOptions& o = options.study;
  study::Ranks ranks;  // first: under mpirun it initializes MPI (and finalizes it last)
  std::vector<study::Job> jobs;
  study::Grid grid;
  std::string name;
  try {
    grid = study::read_grid(options.grid);
    jobs = make_jobs(options, grid, name);
  } catch (const InputError&) {
    if (!ranks.root()) throw ExitStatus{kExitBadInput};  // every rank finds the same mistake; rank 0 says it
    throw;
  }
  study::RunnerOptions runner{.threads = o.threads, .drain_s = o.drain_s, .exact = options.exact};
  const std::filesystem::path out(o.out);
  const size_t all_jobs = jobs.size();
  study::OpenedStudy opened =
      study::open_study(ranks, out, grid.keys, options.fresh, jobs, [](const study::Job& job) { return job.labels; });
  jobs = std::move(opened.jobs);
  if (!ranks.root()) {
    study::run_jobs(jobs, ranks, runner, {});
    return;
  }
  study::ResultsDb* db = opened.db.get();
  const study::Resume& resume = opened.resume;
  ProgressDisplay progress(fmt::format("sweep {}", name), RunCount{static_cast<int64_t>(jobs.size())});
  runner.on_wait = [&progress] { progress.tick(); };
  int64_t failed = 0;
  std::string first_failure;
  study::run_jobs(jobs, ranks, runner, [&](const study::Job& job, const study::JobResult& r) {
    study::ResultRow row{.candidate = job.candidate,
                         .seed = job.seed,
                         .labels = job.labels,
                         .figures = r.report ? observe::to_json(*r.report) : nlohmann::json(),
                         .scenario_json = r.resolved.dump(),
                         .error = r.error,
                         .wall_s = r.wall_s};
    db->add(row);
    if (r.report) {
      progress.run_done(r.report->events_executed, r.report->conservation.requests_in);
    } else {
      progress.run_done(0, 0);
      if (failed++ == 0) first_failure = fmt::format("candidate {}, seed {}: {}", job.candidate, job.seed, r.error);
    }
  });
  db->write_csv(out / "results.csv");
  progress.finish();
  std::string skipped =
      resume.finished.empty() ? "" : fmt::format("{} skipped (already in results.sqlite), ", resume.finished.size());
  fmt::print("{} candidates x {} seeds = {} runs on {} rank(s) x {} thread(s); {}{} failed\n", grid.candidates.size(),
             o.seeds, all_jobs, ranks.size(), study::thread_count(runner, ranks), skipped, failed);
  if (failed > 0) fmt::print("first failure: {} (all in the error column)\n", first_failure);
  fmt::print("wrote {0}/results.sqlite (table runs, view by_candidate) and {0}/results.csv\n", o.out);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto opts = std::make_shared<SweepOptions>();
  auto* sub = app.add_subcommand(
      "sweep", "run every candidate of a grid x seeds (threads, or `mpirun -n R moesim sweep ...`) into SQLite");
  sub->add_option("--grid", opts->grid, "grid JSON: key paths to lists of values, \"zip\" for coupled keys")
      ->required()
      ->check(CLI::ExistingFile);
  add_study_options(*sub, opts->study,
                    {.out = "output folder (results.sqlite, results.csv)",
                     .seeds = "seeds per candidate: the scenario's seed + 0, 1, ..., N-1",
                     .max_seeds = 1'000'000});
  sub->add_flag("--exact", opts->exact, "no approximation made for speed (see moesim run --exact)");
  sub->add_flag("--fresh", opts->fresh,
                "replace DIR/results.sqlite (by default a rerun keeps its rows and runs only the missing and failed)");
  sub->add_flag("--keep-runs", opts->keep_runs, "also write each run's files to DIR/runs/cCCC-sSEED/");
  sub->callback([opts] { sweep(*opts); });
}

}  // namespace moesim::tools
