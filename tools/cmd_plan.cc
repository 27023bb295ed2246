// moesim plan: the cheapest (or best) candidate of a space that meets its constraints. Every candidate is screened
// analytically (tools/study/screen.h, milliseconds each); the best the screen finds feasible, those near the best, and
// a random sample of those it rejects are simulated in full on the study runner (threads, or MPI ranks); the answer
// rests on the simulations. Writes DIR/plan.json, DIR/results.sqlite (a fidelity column: screen or simulation),
// DIR/results.csv and DIR/pareto.png. Exit 4 when no simulated candidate is feasible. A rerun into the same DIR keeps
// the simulations already in results.sqlite and uses their figures (tools/study/resume.h); --fresh starts afresh.
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string_view>

#include "common/error.h"
#include "common/json_parse.h"
#include "common/scenario_file.h"
#include "sim/cluster/scenario.h"
#include "sim/observe/figures.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/study/candidates.h"
#include "tools/study/plan.h"
#include "tools/study/results_db.h"
#include "tools/study/resume.h"
#include "tools/study/runner.h"
#include "tools/study/screen.h"
#include "tools/study_options.h"

namespace moesim::tools {

namespace {

struct PlanOptions {
  StudyOptions study;
  std::string space;
  int top_k = 5;
  double margin = 0.05;
  bool fresh = false;
};

struct Candidate {
  study::Labels labels;
  nlohmann::json document;
  cluster::Scenario scenario;
  study::ScreenResult screen;
  std::string screen_error;  // the screen's failure (no figures then)
  study::Verdict screen_verdict;
  double screen_cost = 0;
  // After simulation: each figure over the seeds (observe::OverSeeds; the mean where the catalogue is silent), and
  // its verdict.
  bool simulated = false;
  std::map<std::string, double> sim;
  std::string sim_error;
  study::Verdict sim_verdict;
  double sim_cost = 0;
};

double sim_figure(const Candidate& c, std::string_view name) {
  auto it = c.sim.find(std::string(name));
  return it == c.sim.end() ? std::nan("") : it->second;
}

// The figures plan.json shows for a candidate, screened and simulated.
constexpr std::array<std::string_view, 13> kShown = {
    observe::figure("nodes_avg").name,
    observe::figure("nodes_peak").name,
    observe::figure("cost_usd").name,
    observe::figure("prefill_nodes_avg").name,
    observe::figure("decode_nodes_avg").name,
    observe::figure("ttft_p50_s").name,
    observe::figure("ttft_p90_s").name,
    observe::figure("user_tokens_per_s_mean").name,
    observe::figure("user_tokens_per_s_p10").name,
    observe::figure("prefill_tokens_per_s_per_node").name,
    observe::figure("decode_tokens_per_s_per_node").name,
    observe::figure("requests_rejected").name,
    observe::figure("margin").name,
};
// The frontier's axes: cost against TTFT p90 and per-user speed p10 (study::frontier).
constexpr const observe::Figure& kFrontierCost = observe::figure("cost_usd");
constexpr const observe::Figure& kFrontierTtft = observe::figure("ttft_p90_s");
constexpr const observe::Figure& kFrontierSpeed = observe::figure("user_tokens_per_s_p10");
// The figures set beside the published day's.
constexpr std::array<std::string_view, 7> kBesidePublished = {
    observe::figure("nodes_avg").name,
    observe::figure("nodes_peak").name,
    observe::figure("prefill_tokens_per_s_per_node").name,
    observe::figure("decode_tokens_per_s_per_node").name,
    observe::figure("user_tokens_per_s_mean").name,
    observe::figure("cost_usd").name,
    observe::figure("margin").name,
};

nlohmann::json figures_json(const Candidate& c) {
  nlohmann::json j = nlohmann::json::object();
  for (std::string_view name : kShown) {
    const std::string n(name);
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

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Every candidate of the space, its scenario parsed (a bad one is an InputError before anything runs).
std::vector<Candidate> read_candidates(const PlanOptions& options, const study::Space& space) {
  const StudyOptions& o = options.study;
  const nlohmann::json base = resolve_scenario(o.scenario, o.overrides());
  std::vector<Candidate> cands(space.grid.candidates.size());
  for (size_t c = 0; c < cands.size(); ++c) {
    auto& x = cands[c];
    x.document = base;
    for (size_t k = 0; k < space.grid.keys.size(); ++k)
      x.labels.emplace_back(space.grid.keys[k], space.grid.candidates[c][k]);
    x.scenario = study::candidate_scenario(x.document, x.labels, o.scenario, options.space, c);
  }
  return cands;
}

// How long the screen took: the workload's demand alone, and everything.
struct ScreenTimes {
  double demand_s = 0;
  double screen_s = 0;
};

// The screen: every candidate, against its workload's demand (read once per distinct workload), then its verdict
// and objective.
ScreenTimes screen_all(std::vector<Candidate>& cands, const study::Space& space, double drain_s,
                       std::chrono::steady_clock::time_point wall_start) {
  // Candidates share a demand when their workload and horizon agree.
  auto demand_key = [](const Candidate& x) {
    return x.document.value("workload", nlohmann::json()).dump() +
           x.document.value("horizon_s", nlohmann::json()).dump();
  };
  std::map<std::string, study::WorkloadDemand> demands;
  for (const auto& x : cands) {
    if (!demands.contains(demand_key(x))) demands.emplace(demand_key(x), study::measure_demand(x.scenario));
  }
  ScreenTimes times;
  times.demand_s = seconds_since(wall_start);
  tbb::parallel_for(size_t{0}, cands.size(), [&](size_t c) {
    auto& x = cands[c];
    try {
      x.screen = study::screen(x.scenario, demands.at(demand_key(x)), drain_s);
    } catch (const std::exception& e) {
      x.screen_error = e.what();
    }
  });
  for (auto& x : cands) {
    auto f = [&](const std::string& n) { return x.screen.figure(n); };
    if (!x.screen_error.empty()) {
      x.screen_verdict.feasible = false;
      x.screen_verdict.worst_violation = INFINITY;
      x.screen_verdict.broken.push_back("screen failed: " + x.screen_error);
      x.screen_cost = INFINITY;
      continue;
    }
    x.screen_verdict = study::verdict(space, f);
    x.screen_cost = study::objective_cost(space, f);
  }
  times.screen_s = seconds_since(wall_start);
  return times;
}

// Which candidates the screen sends to simulation (study::select_for_simulation).
std::vector<size_t> choose(const std::vector<Candidate>& cands, const PlanOptions& options) {
  std::vector<study::Verdict> verdicts;
  std::vector<double> costs;
  for (const auto& x : cands) {
    verdicts.push_back(x.screen_verdict);
    costs.push_back(x.screen_cost);
  }
  const uint64_t seed0 = cands.empty() ? 1 : cands[0].scenario.seed;
  return study::select_for_simulation(verdicts, costs, options.top_k, options.margin, seed0);
}

// Each chosen candidate x seeds, in (candidate, seed) order.
std::vector<study::Job> simulation_jobs(const std::vector<Candidate>& cands, const std::vector<size_t>& chosen,
                                        const StudyOptions& o) {
  std::vector<study::Job> jobs;
  for (size_t c : chosen) {
    for (int64_t s = 0; s < o.seeds; ++s) {
      study::Job job;
      job.candidate = static_cast<int64_t>(c);
      job.seed = cands[c].scenario.seed + static_cast<uint64_t>(s);
      job.labels = cands[c].labels;
      job.scenario = cands[c].document;
      job.origin = o.scenario;
      jobs.push_back(job);
    }
  }
  return jobs;
}

// A simulation's row: the candidate's labels and its fidelity.
study::Labels simulated_labels(const study::Job& job) {
  auto labels = job.labels;
  labels.emplace_back("fidelity", "simulation");
  return labels;
}

// One row per screened candidate (fidelity: screen), its figures or its error.
void record_screens(study::ResultsDb& db, const std::vector<Candidate>& cands) {
  for (size_t c = 0; c < cands.size(); ++c) {
    const auto& x = cands[c];
    nlohmann::json figures = nlohmann::json::object();
    for (const auto& [k, v] : x.screen.figures) figures[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
    auto labels = x.labels;
    labels.emplace_back("fidelity", "screen");
    db.add({.candidate = static_cast<int64_t>(c),
            .seed = x.scenario.seed,
            .labels = labels,
            .figures = x.screen_error.empty() ? figures : nlohmann::json(),
            .scenario_json = x.document.dump(),
            .error = x.screen_error,
            .wall_s = x.screen.wall_s});
  }
}

// Each simulated candidate's figures over its seeds (as the catalogue says, the mean where it is silent), and their
// verdict and objective.
void combine_simulations(std::vector<Candidate>& cands, const std::map<size_t, std::vector<nlohmann::json>>& runs,
                         const study::Space& space) {
  for (const auto& [c, list] : runs) {
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
    for (auto& [k, v] : x.sim) {
      const observe::Figure* f = observe::find_figure(k);
      v = observe::combine_over_seeds(f ? f->over_seeds : observe::OverSeeds::kMean, v, n[k]);
    }
    auto f = [&](const std::string& name) { return sim_figure(x, name); };
    x.sim_verdict = study::verdict(space, f);
    x.sim_cost = study::objective_cost(space, f);
  }
}

void print_screened(const std::vector<Candidate>& cands, const std::vector<size_t>& chosen, const ScreenTimes& times,
                    int64_t seeds, size_t all_jobs, size_t finished) {
  fmt::print(
      "screened {} candidates in {:.1f} s (the workload's demand read in {:.1f} s); {} feasible by the screen; "
      "simulating {} of them x {} seed(s) = {} runs{}\n",
      cands.size(), times.screen_s, times.demand_s,
      std::count_if(cands.begin(), cands.end(), [](const Candidate& x) { return x.screen_verdict.feasible; }),
      chosen.size(), seeds, all_jobs,
      finished == 0 ? "" : fmt::format(" ({} already in results.sqlite: skipped)", finished));
}

// The simulations: each job not already done is run and recorded in the database as it comes back. Returns every
// simulation's figures by candidate, those a run before finished (Existing::kResume) standing in for their runs.
// `all_jobs` are the jobs before open_study left out the finished ones.
std::map<size_t, std::vector<nlohmann::json>> simulate(std::vector<Candidate>& cands,
                                                       const std::vector<study::Job>& all_jobs,
                                                       const study::OpenedStudy& opened, study::Ranks& ranks,
                                                       study::RunnerOptions runner, const std::filesystem::path& out) {
  study::ResultsDb& db = *opened.db;
  std::map<size_t, std::vector<nlohmann::json>> runs;
  for (const auto& [i, row] : opened.resume.finished)
    runs[static_cast<size_t>(all_jobs[i].candidate)].push_back(row.figures);
  const std::vector<study::Job>& jobs = opened.jobs;
  ProgressDisplay progress(fmt::format("plan {}", cands.empty() ? "" : cands[0].scenario.name),
                           RunCount{static_cast<int64_t>(jobs.size())});
  runner.on_wait = [&progress] { progress.tick(); };
  study::run_jobs(jobs, ranks, runner, [&](const study::Job& job, const study::JobResult& r) {
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
  return runs;
}

// What the simulations say: the candidates simulated (chosen order) and those of them feasible, cheapest first.
struct Outcome {
  std::vector<size_t> simulated;
  std::vector<size_t> feasible;
};

Outcome outcome_of(const std::vector<Candidate>& cands, const std::vector<size_t>& chosen) {
  Outcome r;
  for (size_t c : chosen) {
    if (!cands[c].simulated) continue;
    r.simulated.push_back(c);
    if (cands[c].sim_verdict.feasible) r.feasible.push_back(c);
  }
  std::stable_sort(r.feasible.begin(), r.feasible.end(),
                   [&](size_t a, size_t b) { return cands[a].sim_cost < cands[b].sim_cost; });
  return r;
}

// The simulated candidates nearest to feasible (smallest worst violation), at most three; for a plan with none.
std::vector<size_t> nearest_to_feasible(const std::vector<Candidate>& cands, const Outcome& outcome) {
  std::vector<size_t> order = outcome.simulated;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return cands[a].sim_verdict.worst_violation < cands[b].sim_verdict.worst_violation;
  });
  if (order.size() > 3) order.resize(3);
  return order;
}

// The candidate's hardware: its pools' kind, or each pool's when they differ.
nlohmann::json hardware_json(const cluster::Scenario& s) {
  const std::string& prefill = cluster::pool_hardware(s, s.fleet.prefill);
  const std::string& decode = cluster::pool_hardware(s, s.fleet.decode);
  if (prefill == decode) return prefill;
  return {{"prefill", prefill}, {"decode", decode}};
}

// One candidate as plan.json shows it: its values, verdicts and the shown figures.
nlohmann::json entry_json(const std::vector<Candidate>& cands, size_t c) {
  const auto& x = cands[c];
  nlohmann::json j;
  j["candidate"] = c;
  j["values"] = labels_json(x.labels);
  j["hardware"] = hardware_json(x.scenario);
  j["feasible_by_screen"] = x.screen_verdict.feasible;
  if (x.simulated) {
    j["feasible_by_simulation"] = x.sim_verdict.feasible;
    j["broken"] = x.sim_verdict.broken;
  } else {
    j["broken_by_screen"] = x.screen_verdict.broken;
  }
  j["figures"] = figures_json(x);
  return j;
}

nlohmann::json constraints_json(const study::Space& space) {
  nlohmann::json cons = nlohmann::json::array();
  for (const auto& c : space.constraints) {
    nlohmann::json j{{"figure", c.figure}};
    if (c.min > -1e300) j["min"] = c.min;
    if (c.max < 1e300) j["max"] = c.max;
    cons.push_back(j);
  }
  return cons;
}

// The simulated candidates not dominated on cost, TTFT p90 and per-user speed p10 (study::frontier).
nlohmann::json frontier_json(const std::vector<Candidate>& cands, const Outcome& outcome) {
  std::vector<double> fc, ft, fs;
  for (size_t c : outcome.simulated) {
    fc.push_back(sim_figure(cands[c], kFrontierCost.name));
    ft.push_back(sim_figure(cands[c], kFrontierTtft.name));
    fs.push_back(sim_figure(cands[c], kFrontierSpeed.name));
  }
  nlohmann::json front = nlohmann::json::array();
  for (size_t i : study::frontier(fc, ft, fs)) {
    size_t c = outcome.simulated[i];
    front.push_back({{"candidate", c},
                     {"values", labels_json(cands[c].labels)},
                     {"feasible", cands[c].sim_verdict.feasible},
                     {std::string(kFrontierCost.name), fc[i]},
                     {std::string(kFrontierTtft.name), ft[i]},
                     {std::string(kFrontierSpeed.name), fs[i]}});
  }
  return front;
}

// How many simulated candidates the screen judged as the simulation did.
int verdicts_agree(const std::vector<Candidate>& cands, const Outcome& outcome) {
  int agree = 0;
  for (size_t c : outcome.simulated) agree += cands[c].screen_verdict.feasible == cands[c].sim_verdict.feasible;
  return agree;
}

// The published day beside the best H800 answer, where the scenario names a published file (a comparison only);
// null when there is none.
nlohmann::json beside_published(const std::vector<Candidate>& cands, const Outcome& outcome) {
  if (cands.empty() || cands[0].scenario.published.empty()) return nullptr;
  for (size_t c : outcome.feasible) {
    const auto& s = cands[c].scenario;
    if (cluster::pool_hardware(s, s.fleet.prefill) != "h800" || cluster::pool_hardware(s, s.fleet.decode) != "h800") {
      continue;
    }
    auto published = load_json_file(cluster::resolve_path(cands[c].scenario, cands[c].scenario.published));
    nlohmann::json cmp = nlohmann::json::object();
    for (std::string_view name : kBesidePublished) {
      const std::string n(name);
      if (published.contains(n)) cmp[n] = {{"plan", sim_figure(cands[c], n)}, {"published", published[n]}};
    }
    return {{"candidate", c},
            {"values", labels_json(cands[c].labels)},
            {"figures", cmp},
            {"source", published.value("source", "")},
            {"note", "DeepSeek's published day, a comparison and never a target or an input"}};
  }
  return nullptr;
}

// plan.json: the question, the answer, the runners-up, the frontier, and how the screen fared.
nlohmann::json plan_json(const PlanOptions& options, const study::Space& space, const std::vector<Candidate>& cands,
                         const Outcome& outcome, const ScreenTimes& times, double total_s) {
  auto entry = [&](size_t c) { return entry_json(cands, c); };
  nlohmann::json result;
  result["scenario"] = options.study.scenario;
  result["space"] = options.space;
  result["objective"] = (space.minimize ? "minimize " : "maximize ") + space.objective;
  result["constraints"] = constraints_json(space);
  result["seeds"] = options.study.seeds;
  result["candidates_screened"] = cands.size();
  result["candidates_simulated"] = outcome.simulated.size();
  result["wall_s"] = {{"demand", times.demand_s}, {"screen", times.screen_s}, {"total", total_s}};
  result["price_basis"] =
      "each pool's node-time at its own hardware kind's GPUs per node and its spec's rental price per GPU hour "
      "(hardware/specs/*.json, sourced and dated) unless the scenario sets economics.usd_per_gpu_hour (then every "
      "kind at that price): a comparison between kinds rests on those prices";
  result["best"] = outcome.feasible.empty() ? nlohmann::json() : entry(outcome.feasible[0]);
  nlohmann::json runners = nlohmann::json::array();
  for (size_t k = 1; k < outcome.feasible.size() && k < 5; ++k) runners.push_back(entry(outcome.feasible[k]));
  result["runners_up"] = runners;
  result["frontier"] = frontier_json(cands, outcome);
  nlohmann::json beside = nlohmann::json::array();
  for (size_t c : outcome.simulated) beside.push_back(entry(c));
  result["screen_against_simulation"] = {
      {"verdicts_agree", verdicts_agree(cands, outcome)},
      {"of", outcome.simulated.size()},
      {"note",
       "every simulated candidate's screened figures beside its simulated ones, in `simulated`; the screen "
       "misses the controller's lag on the ramps, imbalance between ranks and bursts"}};
  result["simulated"] = beside;
  if (outcome.feasible.empty()) {
    nlohmann::json nearest = nlohmann::json::array();
    for (size_t c : nearest_to_feasible(cands, outcome)) nearest.push_back(entry(c));
    result["nearest_to_feasible"] = nearest;
  }
  if (auto published = beside_published(cands, outcome); !published.is_null()) {
    result["best_h800_beside_published"] = published;
  }
  return result;
}

// The terminal table: every simulated candidate, best first.
void print_table(const std::vector<Candidate>& cands, const Outcome& outcome) {
  fmt::print("\n{:>4} {:>5} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8}  {}\n", "cand", "scr", "sim", "cost $", "nodes",
             "ttft90", "tok/s10", "scr-cost", "values");
  std::vector<size_t> order = outcome.simulated;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (cands[a].sim_verdict.feasible != cands[b].sim_verdict.feasible) return cands[a].sim_verdict.feasible;
    return cands[a].sim_cost < cands[b].sim_cost;
  });
  using observe::figure;
  for (size_t c : order) {
    const auto& x = cands[c];
    fmt::print("{:>4} {:>5} {:>7} {:>9.0f} {:>7.1f} {:>7.2f} {:>7.1f} {:>8.0f}  {}\n", c,
               x.screen_verdict.feasible ? "ok" : "no", x.sim_verdict.feasible ? "ok" : "no",
               sim_figure(x, figure("cost_usd").name), sim_figure(x, figure("nodes_avg").name),
               sim_figure(x, figure("ttft_p90_s").name), sim_figure(x, figure("user_tokens_per_s_p10").name),
               x.screen.figure(std::string(figure("cost_usd").name)), study::describe(x.labels));
  }
  fmt::print("screen and simulation agree on feasibility for {} of {} simulated candidates\n",
             verdicts_agree(cands, outcome), outcome.simulated.size());
}

// pareto.png, from plan.json (matplotlib); the plan stands without it. Then the answer, or exit 4 without one.
void print_answer(const PlanOptions& options, const study::Space& space, const std::vector<Candidate>& cands,
                  const Outcome& outcome) {
  const std::string& dir = options.study.out;
  std::string script = std::string(MOESIM_SOURCE_DIR) + "/tools/plot_plan.py";
  std::string cmd = fmt::format("/usr/bin/python3 '{}' '{}' >/dev/null 2>&1", script, dir);
  bool plotted = std::filesystem::exists(script) && std::system(cmd.c_str()) == 0;
  fmt::print("wrote {0}/plan.json, {0}/results.sqlite (fidelity: screen | simulation), {0}/results.csv{1}\n", dir,
             plotted ? fmt::format(", {}/pareto.png", dir) : " (no pareto.png: python3 with matplotlib not found)");
  if (outcome.feasible.empty()) {
    fmt::print("no simulated candidate meets the constraints; nearest:\n");
    for (size_t c : nearest_to_feasible(cands, outcome)) {
      fmt::print("  candidate {}: {}\n", c, nlohmann::json(cands[c].sim_verdict.broken).dump());
    }
    throw ExitStatus{kExitCheckMissed};
  }
  const auto& best = cands[outcome.feasible[0]];
  fmt::print("best: candidate {} ({}): {} {:.6g}\n", outcome.feasible[0], study::describe(best.labels), space.objective,
             sim_figure(best, space.objective));
}

void plan(const PlanOptions& options) {
  const StudyOptions& o = options.study;
  study::Ranks ranks;  // first: under mpirun it initializes MPI (and finalizes it last)
  const study::Space space = study::read_space(options.space);
  std::vector<Candidate> cands = read_candidates(options, space);
  const auto wall_start = std::chrono::steady_clock::now();
  const ScreenTimes times = screen_all(cands, space, o.drain_s, wall_start);
  const std::vector<size_t> chosen = choose(cands, options);
  const std::vector<study::Job> jobs = simulation_jobs(cands, chosen, o);
  const study::RunnerOptions runner{.threads = o.threads, .drain_s = o.drain_s, .exact = false};
  std::vector<std::string> label_columns = space.grid.keys;
  label_columns.push_back("fidelity");
  const std::filesystem::path out(o.out);
  const study::OpenedStudy opened =
      study::open_study(ranks, out, label_columns, options.fresh, jobs, simulated_labels, " (simulations)");
  if (!ranks.root()) {
    study::run_jobs(opened.jobs, ranks, runner, {});
    return;
  }
  record_screens(*opened.db, cands);
  print_screened(cands, chosen, times, o.seeds, jobs.size(), opened.resume.finished.size());
  const auto runs = simulate(cands, jobs, opened, ranks, runner, out);
  const double total_s = seconds_since(wall_start);
  combine_simulations(cands, runs, space);
  const Outcome outcome = outcome_of(cands, chosen);
  std::ofstream(out / "plan.json") << plan_json(options, space, cands, outcome, times, total_s).dump(2) << "\n";
  print_table(cands, outcome);
  print_answer(options, space, cands, outcome);
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto opts = std::make_shared<PlanOptions>();
  auto* sub = app.add_subcommand(
      "plan", "the best candidate of a space that meets its constraints: every candidate screened, the best simulated");
  sub->add_option("--space", opts->space, "space JSON: grid, constraints, minimize|maximize")
      ->required()
      ->check(CLI::ExistingFile);
  add_study_options(*sub, opts->study,
                    {.out = "output folder (plan.json, results.sqlite, results.csv, pareto.png)",
                     .seeds = "seeds per simulated candidate: the scenario's seed + 0, 1, ..., N-1",
                     .max_seeds = 1000});
  sub->add_flag("--fresh", opts->fresh,
                "replace DIR/results.sqlite (by default a rerun keeps its simulations and runs only the missing ones)");
  sub->add_option("--top-k", opts->top_k, "screen-feasible candidates simulated, best first (and as many rejected)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_option("--margin", opts->margin, "also simulate every screen-feasible candidate within this of the best")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  sub->callback([opts] { plan(*opts); });
}

}  // namespace moesim::tools
