// moesim plan: the cheapest (or best) candidate of a space that meets its constraints. Every candidate is screened
// analytically (tools/study/screen.h, milliseconds each); the best the screen finds feasible, those near the best, and
// a random sample of those it rejects are simulated in full on the study runner (threads, or MPI ranks); the answer
// rests on the simulations. Writes DIR/plan.json, DIR/results.sqlite (a fidelity column: screen or simulation),
// DIR/results.csv and DIR/pareto.png. Exit 4 when no simulated candidate is feasible. A rerun into the same DIR keeps
// the simulations already in results.sqlite and uses their figures (tools/study/resume.h); --fresh starts afresh.
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>

#include "common/error.h"
#include "common/json_parse.h"
#include "common/scenario_file.h"
#include "sim/cluster/scenario.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/study/candidates.h"
#include "tools/study/plan.h"
#include "tools/study/results_db.h"
#include "tools/study/resume.h"
#include "tools/study/runner.h"
#include "tools/study/screen.h"

namespace moesim::tools {

namespace {

struct PlanOptions {
  std::string scenario;
  std::string space;
  std::string out;
  int seeds = 1;
  int top_k = 5;
  double margin = 0.05;
  int threads = 0;
  double scale = 0.0;
  double drain_s = 86400.0;
  bool fresh = false;
  std::vector<std::string> sets;
};

struct Candidate {
  study::Labels labels;
  nlohmann::json document;
  cluster::Scenario scenario;
  study::ScreenResult screen;
  study::Verdict screen_verdict;
  double screen_cost = 0;
  // After simulation: the mean over seeds of each figure, and its verdict.
  bool simulated = false;
  std::map<std::string, double> sim;
  std::string sim_error;
  study::Verdict sim_verdict;
  double sim_cost = 0;
};

double sim_figure(const Candidate& c, const std::string& name) {
  auto it = c.sim.find(name);
  return it == c.sim.end() ? std::nan("") : it->second;
}

nlohmann::json figures_json(const Candidate& c, const std::vector<std::string>& names) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& n : names) {
    double s = c.screen.figure(n);
    nlohmann::json e;
    e["screen"] = std::isfinite(s) ? nlohmann::json(s) : nlohmann::json();
    if (c.simulated) {
      double v = sim_figure(c, n);
      e["simulation"] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
    }
    j[n] = e;
  }
  return j;
}

nlohmann::json labels_json(const study::Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

void plan(const PlanOptions& o) {
  study::Ranks ranks;  // first: under mpirun it initializes MPI (and finalizes it last)
  const study::Space space = study::read_space(o.space);
  std::vector<std::string> overrides = o.sets;
  if (o.scale > 0) overrides.push_back(fmt::format("workload.scale={}", o.scale));
  const nlohmann::json base = resolve_scenario(o.scenario, overrides);
  std::vector<Candidate> cands(space.grid.candidates.size());
  for (size_t c = 0; c < cands.size(); ++c) {
    auto& x = cands[c];
    x.document = base;
    for (size_t k = 0; k < space.grid.keys.size(); ++k)
      x.labels.emplace_back(space.grid.keys[k], space.grid.candidates[c][k]);
    x.scenario = study::candidate_scenario(x.document, x.labels, o.scenario, o.space, c);
  }

  // The screen: every candidate, against its workload's demand (read once per distinct workload).
  auto wall_start = std::chrono::steady_clock::now();
  // Candidates share a demand when their workload and horizon agree.
  auto demand_key = [](const Candidate& x) {
    return x.document.value("workload", nlohmann::json()).dump() +
           x.document.value("horizon_s", nlohmann::json()).dump();
  };
  std::map<std::string, study::WorkloadDemand> demands;
  for (const auto& x : cands) {
    if (!demands.contains(demand_key(x))) demands.emplace(demand_key(x), study::measure_demand(x.scenario));
  }
  double demand_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::vector<std::string> screen_errors(cands.size());
  tbb::parallel_for(size_t{0}, cands.size(), [&](size_t c) {
    auto& x = cands[c];
    try {
      x.screen = study::screen(x.scenario, demands.at(demand_key(x)), o.drain_s);
    } catch (const std::exception& e) {
      screen_errors[c] = e.what();
    }
  });
  for (size_t c = 0; c < cands.size(); ++c) {
    auto& x = cands[c];
    auto f = [&](const std::string& n) { return x.screen.figure(n); };
    if (!screen_errors[c].empty()) {
      x.screen_verdict.feasible = false;
      x.screen_verdict.worst_violation = INFINITY;
      x.screen_verdict.broken.push_back("screen failed: " + screen_errors[c]);
      x.screen_cost = INFINITY;
      continue;
    }
    x.screen_verdict = study::verdict(space, f);
    x.screen_cost = study::objective_cost(space, f);
  }
  double screen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::vector<study::Verdict> verdicts;
  std::vector<double> costs;
  for (const auto& x : cands) {
    verdicts.push_back(x.screen_verdict);
    costs.push_back(x.screen_cost);
  }
  const uint64_t seed0 = cands.empty() ? 1 : cands[0].scenario.seed;
  std::vector<size_t> chosen = study::select_for_simulation(verdicts, costs, o.top_k, o.margin, seed0);
  std::vector<study::Job> jobs;
  for (size_t c : chosen) {
    for (int s = 0; s < o.seeds; ++s) {
      study::Job job;
      job.candidate = static_cast<int64_t>(c);
      job.seed = cands[c].scenario.seed + static_cast<uint64_t>(s);
      job.labels = cands[c].labels;
      job.scenario = cands[c].document;
      job.origin = o.scenario;
      jobs.push_back(job);
    }
  }
  study::RunnerOptions options{.threads = o.threads, .drain_s = o.drain_s, .exact = false};
  // A simulation's row: the candidate's labels and its fidelity.
  auto simulated_labels = [](const study::Job& job) {
    auto labels = job.labels;
    labels.emplace_back("fidelity", "simulation");
    return labels;
  };
  std::vector<std::string> label_columns = space.grid.keys;
  label_columns.push_back("fidelity");
  const std::filesystem::path out(o.out);
  const size_t all_jobs = jobs.size();
  study::OpenedStudy opened =
      study::open_study(ranks, out, label_columns, o.fresh, jobs, simulated_labels, " (simulations)");
  if (!ranks.root()) {
    study::run_jobs(opened.jobs, ranks, options, {});
    return;
  }
  study::ResultsDb& db = *opened.db;
  const study::Resume& resume = opened.resume;
  std::map<size_t, std::vector<nlohmann::json>> runs;
  // Simulations a run before finished (Existing::kResume): their stored figures stand in for the run.
  for (const auto& [i, row] : resume.finished) runs[static_cast<size_t>(jobs[i].candidate)].push_back(row.figures);
  jobs = std::move(opened.jobs);
  for (size_t c = 0; c < cands.size(); ++c) {
    const auto& x = cands[c];
    nlohmann::json figures = nlohmann::json::object();
    for (const auto& [k, v] : x.screen.figures) figures[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
    auto labels = x.labels;
    labels.emplace_back("fidelity", "screen");
    db.add({.candidate = static_cast<int64_t>(c),
            .seed = x.scenario.seed,
            .labels = labels,
            .figures = screen_errors[c].empty() ? figures : nlohmann::json(),
            .scenario_json = x.document.dump(),
            .error = screen_errors[c],
            .wall_s = x.screen.wall_s});
  }

  fmt::print(
      "screened {} candidates in {:.1f} s (the workload's demand read in {:.1f} s); {} feasible by the screen; "
      "simulating {} of them x {} seed(s) = {} runs{}\n",
      cands.size(), screen_s, demand_s,
      std::count_if(verdicts.begin(), verdicts.end(), [](const auto& v) { return v.feasible; }), chosen.size(), o.seeds,
      all_jobs,
      resume.finished.empty() ? "" : fmt::format(" ({} already in results.sqlite: skipped)", resume.finished.size()));
  ProgressDisplay progress(fmt::format("plan {}", cands.empty() ? "" : cands[0].scenario.name),
                           RunCount{static_cast<int64_t>(jobs.size())});
  options.on_wait = [&progress] { progress.tick(); };
  study::run_jobs(jobs, ranks, options, [&](const study::Job& job, const study::JobResult& r) {
    nlohmann::json figures = r.report ? observe::to_json(*r.report) : nlohmann::json();
    db.add({.candidate = job.candidate,
            .seed = job.seed,
            .labels = simulated_labels(job),
            .figures = figures,
            .scenario_json = r.resolved.dump(),
            .error = r.error,
            .wall_s = r.wall_s});
    auto& x = cands[static_cast<size_t>(job.candidate)];
    if (r.report) {
      runs[static_cast<size_t>(job.candidate)].push_back(figures);
      progress.run_done(r.report->events_executed, r.report->conservation.requests_in);
    } else {
      x.sim_error = r.error;
      progress.run_done(0, 0);
    }
  });
  db.write_csv(out / "results.csv");
  progress.finish();
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  // Each simulated candidate's figures: the mean over its seeds.
  for (auto& [c, list] : runs) {
    auto& x = cands[c];
    if (!x.sim_error.empty()) continue;
    x.simulated = true;
    std::map<std::string, int> n;
    for (const auto& figures : list) {
      for (const auto& [k, v] : study::flatten_figures(figures)) {
        if (!v.is_number()) continue;
        x.sim[k] += v.get<double>();
        n[k] += 1;
      }
    }
    for (auto& [k, v] : x.sim) v /= n[k];
    auto f = [&](const std::string& name) { return sim_figure(x, name); };
    x.sim_verdict = study::verdict(space, f);
    x.sim_cost = study::objective_cost(space, f);
  }

  // The answer, the runners-up, the frontier, and how the screen fared.
  std::vector<size_t> simulated, feasible;
  for (size_t c : chosen) {
    if (!cands[c].simulated) continue;
    simulated.push_back(c);
    if (cands[c].sim_verdict.feasible) feasible.push_back(c);
  }
  std::stable_sort(feasible.begin(), feasible.end(),
                   [&](size_t a, size_t b) { return cands[a].sim_cost < cands[b].sim_cost; });
  const std::vector<std::string> shown = {"nodes_avg",
                                          "nodes_peak",
                                          "cost_usd",
                                          "prefill_nodes_avg",
                                          "decode_nodes_avg",
                                          "ttft_p50_s",
                                          "ttft_p90_s",
                                          "user_tokens_per_s_mean",
                                          "user_tokens_per_s_p10",
                                          "prefill_tokens_per_s_per_node",
                                          "decode_tokens_per_s_per_node",
                                          "requests_rejected",
                                          "margin"};
  auto entry = [&](size_t c) {
    const auto& x = cands[c];
    nlohmann::json j;
    j["candidate"] = c;
    j["values"] = labels_json(x.labels);
    j["hardware"] = x.scenario.hardware;
    j["feasible_by_screen"] = x.screen_verdict.feasible;
    if (x.simulated) {
      j["feasible_by_simulation"] = x.sim_verdict.feasible;
      j["broken"] = x.sim_verdict.broken;
    } else {
      j["broken_by_screen"] = x.screen_verdict.broken;
    }
    j["figures"] = figures_json(x, shown);
    return j;
  };
  nlohmann::json result;
  result["scenario"] = o.scenario;
  result["space"] = o.space;
  result["objective"] = (space.minimize ? "minimize " : "maximize ") + space.objective;
  nlohmann::json cons = nlohmann::json::array();
  for (const auto& c : space.constraints) {
    nlohmann::json j{{"figure", c.figure}};
    if (c.min > -1e300) j["min"] = c.min;
    if (c.max < 1e300) j["max"] = c.max;
    cons.push_back(j);
  }
  result["constraints"] = cons;
  result["seeds"] = o.seeds;
  result["candidates_screened"] = cands.size();
  result["candidates_simulated"] = simulated.size();
  result["wall_s"] = {{"demand", demand_s}, {"screen", screen_s}, {"total", total_s}};
  result["price_basis"] =
      "each hardware kind at its spec's rental price per GPU hour (hardware/specs/*.json, sourced and dated) unless "
      "the scenario sets economics.usd_per_gpu_hour: a comparison between kinds rests on those prices";
  result["best"] = feasible.empty() ? nlohmann::json() : entry(feasible[0]);
  nlohmann::json runners = nlohmann::json::array();
  for (size_t k = 1; k < feasible.size() && k < 5; ++k) runners.push_back(entry(feasible[k]));
  result["runners_up"] = runners;
  std::vector<double> fc, ft, fs;
  for (size_t c : simulated) {
    fc.push_back(sim_figure(cands[c], "cost_usd"));
    ft.push_back(sim_figure(cands[c], "ttft_p90_s"));
    fs.push_back(sim_figure(cands[c], "user_tokens_per_s_p10"));
  }
  nlohmann::json front = nlohmann::json::array();
  for (size_t i : study::frontier(fc, ft, fs)) {
    size_t c = simulated[i];
    front.push_back({{"candidate", c},
                     {"values", labels_json(cands[c].labels)},
                     {"feasible", cands[c].sim_verdict.feasible},
                     {"cost_usd", fc[i]},
                     {"ttft_p90_s", ft[i]},
                     {"user_tokens_per_s_p10", fs[i]}});
  }
  result["frontier"] = front;
  int agree = 0;
  nlohmann::json beside = nlohmann::json::array();
  for (size_t c : simulated) {
    agree += cands[c].screen_verdict.feasible == cands[c].sim_verdict.feasible;
    beside.push_back(entry(c));
  }
  result["screen_against_simulation"] = {
      {"verdicts_agree", agree},
      {"of", simulated.size()},
      {"note",
       "every simulated candidate's screened figures beside its simulated ones, in `simulated`; the screen "
       "misses the controller's lag on the ramps, imbalance between ranks and bursts"}};
  result["simulated"] = beside;
  nlohmann::json nearest = nlohmann::json::array();
  if (feasible.empty()) {
    std::vector<size_t> order = simulated;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return cands[a].sim_verdict.worst_violation < cands[b].sim_verdict.worst_violation;
    });
    for (size_t k = 0; k < order.size() && k < 3; ++k) nearest.push_back(entry(order[k]));
    result["nearest_to_feasible"] = nearest;
  }
  // The published day beside the best H800 answer, where the scenario names a published file (a comparison only).
  if (!cands.empty() && !cands[0].scenario.published.empty()) {
    for (size_t c : feasible) {
      if (cands[c].scenario.hardware != "h800") continue;
      auto published = load_json_file(cluster::resolve_path(cands[c].scenario, cands[c].scenario.published));
      nlohmann::json cmp = nlohmann::json::object();
      for (const auto& n : {"nodes_avg", "nodes_peak", "prefill_tokens_per_s_per_node", "decode_tokens_per_s_per_node",
                            "user_tokens_per_s_mean", "cost_usd", "margin"}) {
        if (published.contains(n)) cmp[n] = {{"plan", sim_figure(cands[c], n)}, {"published", published[n]}};
      }
      result["best_h800_beside_published"] = {
          {"candidate", c},
          {"values", labels_json(cands[c].labels)},
          {"figures", cmp},
          {"source", published.value("source", "")},
          {"note", "DeepSeek's published day, a comparison and never a target or an input"}};
      break;
    }
  }
  std::ofstream(out / "plan.json") << result.dump(2) << "\n";

  // The terminal table: every simulated candidate, best first.
  fmt::print("\n{:>4} {:>5} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8}  {}\n", "cand", "scr", "sim", "cost $", "nodes",
             "ttft90", "tok/s10", "scr-cost", "values");
  std::vector<size_t> order = simulated;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (cands[a].sim_verdict.feasible != cands[b].sim_verdict.feasible) return cands[a].sim_verdict.feasible;
    return cands[a].sim_cost < cands[b].sim_cost;
  });
  for (size_t c : order) {
    const auto& x = cands[c];
    fmt::print("{:>4} {:>5} {:>7} {:>9.0f} {:>7.1f} {:>7.2f} {:>7.1f} {:>8.0f}  {}\n", c,
               x.screen_verdict.feasible ? "ok" : "no", x.sim_verdict.feasible ? "ok" : "no", sim_figure(x, "cost_usd"),
               sim_figure(x, "nodes_avg"), sim_figure(x, "ttft_p90_s"), sim_figure(x, "user_tokens_per_s_p10"),
               x.screen.figure("cost_usd"), study::describe(x.labels));
  }
  fmt::print("screen and simulation agree on feasibility for {} of {} simulated candidates\n", agree, simulated.size());
  // pareto.png, from plan.json (matplotlib); the plan stands without it.
  std::string script = std::string(MOESIM_SOURCE_DIR) + "/tools/plot_plan.py";
  std::string cmd = fmt::format("/usr/bin/python3 '{}' '{}' >/dev/null 2>&1", script, o.out);
  bool plotted = std::filesystem::exists(script) && std::system(cmd.c_str()) == 0;
  fmt::print("wrote {0}/plan.json, {0}/results.sqlite (fidelity: screen | simulation), {0}/results.csv{1}\n", o.out,
             plotted ? fmt::format(", {}/pareto.png", o.out) : " (no pareto.png: python3 with matplotlib not found)");
  if (feasible.empty()) {
    fmt::print("no simulated candidate meets the constraints; nearest:\n");
    for (const auto& j : nearest) fmt::print("  candidate {}: {}\n", j["candidate"].get<size_t>(), j["broken"].dump());
    throw ExitStatus{kExitCheckMissed};
  }
  const auto& best = cands[feasible[0]];
  fmt::print("best: candidate {} ({}): {} {:.6g}\n", feasible[0], study::describe(best.labels), space.objective,
             sim_figure(best, space.objective));
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto opts = std::make_shared<PlanOptions>();
  auto* sub = app.add_subcommand(
      "plan", "the best candidate of a space that meets its constraints: every candidate screened, the best simulated");
  sub->add_option("scenario", opts->scenario, "scenario JSON file")->required()->check(CLI::ExistingFile);
  sub->add_option("--space", opts->space, "space JSON: grid, constraints, minimize|maximize")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--out", opts->out, "output folder (plan.json, results.sqlite, results.csv, pareto.png)")->required();
  sub->add_flag("--fresh", opts->fresh,
                "replace DIR/results.sqlite (by default a rerun keeps its simulations and runs only the missing ones)");
  sub->add_option("--seeds", opts->seeds, "seeds per simulated candidate: the scenario's seed + 0, 1, ..., N-1")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  sub->add_option("--top-k", opts->top_k, "screen-feasible candidates simulated, best first (and as many rejected)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_option("--margin", opts->margin, "also simulate every screen-feasible candidate within this of the best")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  sub->add_option("--threads", opts->threads, "threads per process (default: the cores)")->check(CLI::Range(1, 4096));
  sub->add_option("--scale", opts->scale,
                  "override workload.scale (below 1 thins the generated day, above 1 densifies it)")
      ->check(within(0.0, 100.0, true));
  sub->add_option("--set", opts->sets, "override a field of every candidate: key.path=value (repeatable)");
  sub->add_option("--drain-s", opts->drain_s, "how long requests in flight get to finish after the horizon")
      ->capture_default_str();
  sub->callback([opts] { plan(*opts); });
}

}  // namespace moesim::tools
