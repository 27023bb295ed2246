// moesim plan: the cheapest (or best) candidate of a space that meets its constraints. Every candidate is screened
// analytically (tools/study/screen.h, under a second each); the best the screen finds feasible, those near the best, and
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
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "common/error.h"
#include "common/json_parse.h"
#include "common/output_paths.h"
#include "common/scenario_file.h"
#include "sim/cluster/scenario.h"
#include "sim/observe/figures.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/study/candidates.h"
#include "tools/study/plan.h"
#include "tools/study/plan_stats.h"
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
  int screen_sample = 0;  // also simulate a stratified sample of this many candidates, to measure the screen
  bool fresh = false;
};

// At most this many extra rounds that simulate the answer's cheaper neighbour (a neighbour found feasible becomes
// the answer, and its own cheaper neighbour is next).
constexpr int kNeighbourRounds = 4;

// Why a candidate was simulated (plan.json's `simulated_as`).
enum class Why { kBest, kRejectionCheck, kSample, kNeighbour };

struct Candidate {
  study::Labels labels;
  nlohmann::json document;
  cluster::Scenario scenario;
  study::ScreenResult screen;
  std::string refused;       // the scenario cannot run (an InputError when its step model is built): never simulated
  std::string screen_error;  // the screen's failure (no figures then)
  study::Verdict screen_verdict;
  double screen_cost = 0;
  std::set<Why> why;  // why it was simulated; empty: it was not chosen
  // After simulation: each figure over the seeds, a mean with its Student-t interval (study::estimate), and its
  // verdict on those intervals (study::verdict_on_intervals).
  bool simulated = false;
  std::map<std::string, study::Estimate> sim;
  std::string sim_error;
  study::Verdict sim_verdict;
  double sim_cost = 0;
};

study::Estimate sim_estimate(const Candidate& c, std::string_view name) {
  auto it = c.sim.find(std::string(name));
  return it == c.sim.end() ? study::Estimate{} : it->second;
}

double sim_figure(const Candidate& c, std::string_view name) { return sim_estimate(c, name).mean; }

nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

// A simulated figure as plan.json gives it: the mean over the seeds and its 95 % interval (null with one seed).
nlohmann::json estimate_json(const study::Estimate& e) {
  return {{"mean", number_or_null(e.mean)}, {"low", number_or_null(e.low)}, {"high", number_or_null(e.high)},
          {"n", e.n}};
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
// The figures whose screened and simulated values the agreement measures (agreement_json).
constexpr std::array<std::string_view, 4> kAgreementFigures = {
    observe::figure("nodes_avg").name,
    observe::figure("cost_usd").name,
    observe::figure("ttft_p90_s").name,
    observe::figure("user_tokens_per_s_p10").name,
};

const char* why_name(Why w) {
  switch (w) {
    case Why::kBest:
      return "screen-feasible, among the best";
    case Why::kRejectionCheck:
      return "screen-rejected, drawn to check the rejections";
    case Why::kSample:
      return "in the stratified sample that measures the screen";
    case Why::kNeighbour:
      return "the answer's cheaper neighbour by the screen";
  }
  return "";
}

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
    nlohmann::json e;
    e["screen"] = number_or_null(c.screen.figure(n));
    if (c.simulated) e["simulation"] = estimate_json(sim_estimate(c, n));
    j[n] = e;
  }
  return j;
}

nlohmann::json labels_json(const study::Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

bool is_refused(const Candidate& x) { return !x.refused.empty(); }

std::ptrdiff_t refused_count(const std::vector<Candidate>& cands) {
  return std::count_if(cands.begin(), cands.end(), is_refused);
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
    } catch (const InputError& e) {
      x.refused = e.what();  // a unit that cannot hold the model, a precision the kind cannot compute, ...
    } catch (const std::exception& e) {
      x.screen_error = e.what();
    }
  });
  for (auto& x : cands) {
    auto f = [&](const std::string& n) { return x.screen.figure(n); };
    if (!x.refused.empty() || !x.screen_error.empty()) {
      x.screen_verdict.feasible = false;
      x.screen_verdict.worst_violation = INFINITY;
      x.screen_verdict.broken.push_back(x.refused.empty() ? "screen failed: " + x.screen_error
                                                          : "refused: " + x.refused);
      x.screen_cost = INFINITY;
      continue;
    }
    x.screen_verdict = study::verdict(space, f);
    x.screen_cost = study::objective_cost(space, f);
  }
  times.screen_s = seconds_since(wall_start);
  return times;
}

// A space in which no candidate can run is a bad input: nothing is simulated (exit 2).
void refuse_if_none_can_run(const std::vector<Candidate>& cands, const std::string& space) {
  const auto refused = refused_count(cands);
  if (cands.empty() || refused < static_cast<std::ptrdiff_t>(cands.size())) return;
  throw InputError(fmt::format("{}: every candidate ({} of {}) is refused before running; candidate 0 ({}): {}", space,
                               refused, cands.size(), study::describe(cands[0].labels), cands[0].refused));
}

std::vector<bool> usable(const std::vector<Candidate>& cands) {
  std::vector<bool> out;
  for (const auto& x : cands) out.push_back(x.refused.empty());
  return out;
}

std::vector<double> screen_costs(const std::vector<Candidate>& cands) {
  std::vector<double> out;
  for (const auto& x : cands) out.push_back(x.screen_cost);
  return out;
}

// Which candidates the screen sends to simulation, and why: the best it finds feasible and those near them, a
// sample of its rejections (study::select_for_simulation), and the stratified sample that measures it
// (--screen-sample). Refused candidates are never simulated.
std::vector<size_t> choose(std::vector<Candidate>& cands, const PlanOptions& options, const study::Space& space) {
  std::vector<study::Verdict> verdicts;
  std::vector<double> slack;
  std::vector<size_t> index;  // of the usable candidates
  std::vector<double> costs;
  for (size_t c = 0; c < cands.size(); ++c) {
    slack.push_back(cands[c].refused.empty()
                        ? study::least_slack(space, [&](const std::string& n) { return cands[c].screen.figure(n); })
                        : -INFINITY);
    if (!cands[c].refused.empty()) continue;
    index.push_back(c);
    verdicts.push_back(cands[c].screen_verdict);
    costs.push_back(cands[c].screen_cost);
  }
  const uint64_t seed0 = cands.empty() ? 1 : cands[0].scenario.seed;
  std::set<size_t> chosen;
  for (size_t k : study::select_for_simulation(verdicts, costs, options.top_k, options.margin, seed0)) {
    const size_t c = index[k];
    cands[c].why.insert(cands[c].screen_verdict.feasible ? Why::kBest : Why::kRejectionCheck);
    chosen.insert(c);
  }
  for (size_t c : study::stratified_sample(screen_costs(cands), slack, usable(cands), options.screen_sample, seed0)) {
    cands[c].why.insert(Why::kSample);
    chosen.insert(c);
  }
  return {chosen.begin(), chosen.end()};
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

// Every simulation's figures by candidate and seed: combined in seed order, whatever order the runs finished in.
using Runs = std::map<size_t, std::map<uint64_t, nlohmann::json>>;

// Each simulated candidate's figures over its seeds, a mean with its interval (a total where the catalogue says so),
// and their verdict on the intervals and objective.
void combine_simulations(std::vector<Candidate>& cands, const Runs& runs, const study::Space& space) {
  for (const auto& [c, list] : runs) {
    auto& x = cands[c];
    if (!x.sim_error.empty()) continue;
    x.simulated = true;
    std::map<std::string, std::vector<double>> values;
    for (const auto& [seed, figures] : list) {
      for (const auto& [k, v] : study::flatten_figures(figures)) {
        if (v.is_number()) values[k].push_back(v.get<double>());
      }
    }
    x.sim.clear();
    for (const auto& [k, v] : values) {
      study::Estimate e = study::estimate(v);
      // The catalogue's rule over seeds, applied to the mean: 1 for a mean, n for a total (and so its interval).
      const observe::Figure* f = observe::find_figure(k);
      const double scale =
          observe::combine_over_seeds(f ? f->over_seeds : observe::OverSeeds::kMean, static_cast<double>(e.n), e.n);
      e.mean *= scale;
      e.low *= scale;
      e.high *= scale;
      e.sd *= scale;
      x.sim[k] = e;
    }
    x.sim_verdict = study::verdict_on_intervals(space, [&](const std::string& name) { return sim_estimate(x, name); });
    x.sim_cost = study::objective_cost(space, [&](const std::string& name) { return sim_figure(x, name); });
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
  const auto refused = refused_count(cands);
  if (refused == 0) return;
  const auto first = std::find_if(cands.begin(), cands.end(), is_refused);
  fmt::print("{} candidate(s) refused before running, never simulated; candidate {}: {}\n", refused,
             first - cands.begin(), first->refused);
}

// The simulations: each job not already done is run and recorded in the database as it comes back. Returns every
// simulation's figures by candidate into `runs`, those a run before finished (Existing::kResume) standing in for
// their runs. `all_jobs` are the jobs before open_study left out the finished ones.
void simulate(std::vector<Candidate>& cands, const std::vector<study::Job>& all_jobs, const study::OpenedStudy& opened,
              study::Ranks& ranks, study::RunnerOptions runner, const std::filesystem::path& out, Runs& runs) {
  study::ResultsDb& db = *opened.db;
  for (const auto& [i, row] : opened.resume.finished)
    runs[static_cast<size_t>(all_jobs[i].candidate)][all_jobs[i].seed] = row.figures;
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
      runs[static_cast<size_t>(job.candidate)][job.seed] = figures;
      progress.run_done(r.report->events_executed, r.report->conservation.requests_in);
    } else {
      x.sim_error = r.error;
      progress.run_done(0, 0);
    }
  });
  db.write_csv(out / "results.csv");
  progress.finish();
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
    j["undecided"] = x.sim_verdict.undecided;
  } else {
    j["broken_by_screen"] = x.screen_verdict.broken;
  }
  nlohmann::json why = nlohmann::json::array();
  for (Why w : x.why) why.push_back(why_name(w));
  j["simulated_as"] = why;
  j["figures"] = figures_json(x);
  return j;
}

// The constraint that binds a simulated candidate (the least slack of its intervals), as text; empty without one.
std::string binds(const study::Space& space, const Candidate& x) {
  auto b = study::binding_constraint(space, [&](const std::string& n) { return sim_estimate(x, n); });
  return b ? b->text : std::string();
}

// How far the screen agrees with the simulation over the simulated candidates of `which`: the verdicts, the rank
// correlation of the objective, and the median relative error of nodes, cost, TTFT p90 and per-user speed p10.
nlohmann::json agreement_json(const std::vector<Candidate>& cands, const std::vector<size_t>& which) {
  int n = 0, agree = 0;
  std::vector<double> screen_objective, sim_objective;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> pairs;
  for (size_t c : which) {
    const auto& x = cands[c];
    if (!x.simulated) continue;
    ++n;
    agree += x.screen_verdict.feasible == x.sim_verdict.feasible;
    screen_objective.push_back(x.screen_cost);
    sim_objective.push_back(x.sim_cost);
    for (std::string_view f : kAgreementFigures) {
      pairs[std::string(f)].first.push_back(x.screen.figure(std::string(f)));
      pairs[std::string(f)].second.push_back(sim_figure(x, f));
    }
  }
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [f, p] : pairs) errors[f] = number_or_null(study::median_relative_error(p.first, p.second));
  return {{"candidates", n},
          {"verdicts_agree", agree},
          {"verdicts_agree_share", number_or_null(n > 0 ? static_cast<double>(agree) / n : std::nan(""))},
          {"objective_spearman", number_or_null(study::spearman(screen_objective, sim_objective))},
          {"median_relative_error", errors}};
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
  result["confidence"] = study::kPlanConfidence;
  result["feasibility_rule"] =
      "each simulated figure is the mean over the seeds with its 95 % Student-t interval (mean +- t(0.975, n-1) "
      "sd / sqrt(n)); a candidate is feasible when every constraint's whole interval meets its bound (high <= max, "
      "low >= min), with one seed the value itself; a mean that meets a bound whose interval crosses it is "
      "`undecided` and not feasible; the answer is the feasible candidate with the best mean objective";
  result["candidates_screened"] = cands.size();
  result["candidates_simulated"] = outcome.simulated.size();
  result["wall_s"] = {{"demand", times.demand_s}, {"screen", times.screen_s}, {"total", total_s}};
  result["price_basis"] =
      "each pool's node-time at its own hardware kind's GPUs per node and its spec's rental price per GPU hour "
      "(hardware/specs/*.json, sourced and dated) unless the scenario sets economics.usd_per_gpu_hour (then every "
      "kind at that price): a comparison between kinds rests on those prices";
  result["best"] = outcome.feasible.empty() ? nlohmann::json() : entry(outcome.feasible[0]);
  if (!outcome.feasible.empty()) result["best"]["binds"] = binds(space, cands[outcome.feasible[0]]);
  nlohmann::json neighbours = nlohmann::json::array();
  for (size_t c : outcome.simulated) {
    if (cands[c].why.contains(Why::kNeighbour)) neighbours.push_back(entry(c));
  }
  result["cheaper_neighbours"] = neighbours;
  nlohmann::json runners = nlohmann::json::array();
  for (size_t k = 1; k < outcome.feasible.size() && k < 5; ++k) runners.push_back(entry(outcome.feasible[k]));
  result["runners_up"] = runners;
  result["frontier"] = frontier_json(cands, outcome);
  nlohmann::json beside = nlohmann::json::array();
  for (size_t c : outcome.simulated) beside.push_back(entry(c));
  std::vector<size_t> sample;
  for (size_t c : outcome.simulated) {
    if (cands[c].why.contains(Why::kSample)) sample.push_back(c);
  }
  result["screen_against_simulation"] = {
      {"verdicts_agree", verdicts_agree(cands, outcome)},
      {"of", outcome.simulated.size()},
      {"all_simulated", agreement_json(cands, outcome.simulated)},
      {"stratified_sample", agreement_json(cands, sample)},
      {"note",
       "every simulated candidate's screened figures beside its simulated ones, in `simulated`; `stratified_sample` "
       "(--screen-sample) is the unbiased measure, `all_simulated` leans to the screen's best"}};
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

// A simulated figure with its interval's half-width, and the screen's estimate beside it: "92544+-1210 / 97880".
std::string with_screen(const Candidate& x, std::string_view name, int decimals) {
  const study::Estimate e = sim_estimate(x, name);
  std::string sim = fmt::format("{:.{}f}", e.mean, decimals);
  if (e.has_interval()) sim += fmt::format("+-{:.{}f}", (e.high - e.low) / 2, decimals);
  return fmt::format("{} / {:.{}f}", sim, x.screen.figure(std::string(name)), decimals);
}

const char* sim_verdict_word(const Candidate& x) {
  if (x.sim_verdict.feasible) return "ok";
  return x.sim_verdict.broken.empty() ? "undec" : "no";
}

// The terminal table: every simulated candidate, best first; each figure the simulation's mean +- the half-width of
// its 95 % interval, then the screen's estimate.
void print_table(const std::vector<Candidate>& cands, const Outcome& outcome, const study::Space& space) {
  fmt::print("\n{:>4} {:>3} {:>5} {:>22} {:>18} {:>18} {:>16}  {}\n", "cand", "scr", "sim", "cost $ (sim / scr)",
             "nodes", "ttft90 s", "tok/s p10", "values");
  std::vector<size_t> order = outcome.simulated;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (cands[a].sim_verdict.feasible != cands[b].sim_verdict.feasible) return cands[a].sim_verdict.feasible;
    return cands[a].sim_cost < cands[b].sim_cost;
  });
  using observe::figure;
  for (size_t c : order) {
    const auto& x = cands[c];
    fmt::print("{:>4} {:>3} {:>5} {:>22} {:>18} {:>18} {:>16}  {}\n", c, x.screen_verdict.feasible ? "ok" : "no",
               sim_verdict_word(x), with_screen(x, figure("cost_usd").name, 0),
               with_screen(x, figure("nodes_avg").name, 1), with_screen(x, figure("ttft_p90_s").name, 2),
               with_screen(x, figure("user_tokens_per_s_p10").name, 1), study::describe(x.labels));
    if (x.sim_verdict.feasible) {
      fmt::print("{:>14}binds: {}\n", "", binds(space, x));
    } else {
      for (const auto& b : x.sim_verdict.broken) fmt::print("{:>14}breaks: {}\n", "", b);
      for (const auto& u : x.sim_verdict.undecided) fmt::print("{:>14}undecided: {}\n", "", u);
    }
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
  if (outcome.simulated.empty() && std::none_of(cands.begin(), cands.end(), [](const Candidate& x) {
        return !x.why.empty();
      })) {
    fmt::print("nothing simulated (--top-k 0, --margin 0, no --screen-sample): the screen's figures alone, in {}\n",
               "results.sqlite (fidelity: screen); no answer rests on them");
    return;
  }
  if (outcome.feasible.empty()) {
    fmt::print("no simulated candidate meets the constraints; nearest:\n");
    for (size_t c : nearest_to_feasible(cands, outcome)) {
      std::vector<std::string> why = cands[c].sim_verdict.broken;
      why.insert(why.end(), cands[c].sim_verdict.undecided.begin(), cands[c].sim_verdict.undecided.end());
      fmt::print("  candidate {}: {}\n", c, nlohmann::json(why).dump());
    }
    throw ExitStatus{kExitCheckMissed};
  }
  const auto& best = cands[outcome.feasible[0]];
  const study::Estimate objective = sim_estimate(best, space.objective);
  fmt::print("best: candidate {} ({}): {} {:.6g}{}; binds: {}\n", outcome.feasible[0], study::describe(best.labels),
             space.objective, objective.mean,
             objective.has_interval() ? fmt::format(" [{:.6g}, {:.6g}]", objective.low, objective.high) : "",
             binds(space, best));
}

// What the rounds of simulation share: the study's folder and columns, the runner, and every run so far.
struct Simulations {
  const PlanOptions& options;
  study::Ranks& ranks;
  study::RunnerOptions runner;
  std::vector<std::string> label_columns;
  Runs runs;
  bool first = true;
};

// One round: each candidate of `list` x the seeds, those not already in results.sqlite run on every rank; rank 0
// records them (and, the first time, the screen's rows).
void simulate_round(std::vector<Candidate>& cands, const std::vector<size_t>& list, Simulations& s,
                    const ScreenTimes& times) {
  const StudyOptions& o = s.options.study;
  const std::vector<study::Job> jobs = simulation_jobs(cands, list, o);
  const study::OpenedStudy opened = study::open_study(s.ranks, o.out, s.label_columns, s.options.fresh && s.first,
                                                      jobs, simulated_labels, " (simulations)");
  if (!s.ranks.root()) {
    study::run_jobs(opened.jobs, s.ranks, s.runner, {});
  } else {
    if (s.first) {
      record_screens(*opened.db, cands);
      print_screened(cands, list, times, o.seeds, jobs.size(), opened.resume.finished.size());
    } else {
      fmt::print("simulating candidate {} ({}), the answer's cheaper neighbour by the screen, x {} seed(s)\n",
                 list.front(), study::describe(cands[list.front()].labels), o.seeds);
    }
    simulate(cands, jobs, opened, s.ranks, s.runner, o.out, s.runs);
  }
  s.first = false;
}

// The answer's cheaper neighbour by the screen (study::cheaper_neighbour), marked as such; the next round simulates
// it unless it has been simulated already. Empty without an answer or a cheaper candidate.
std::vector<size_t> next_neighbour(std::vector<Candidate>& cands, const std::vector<size_t>& chosen) {
  const Outcome outcome = outcome_of(cands, chosen);
  if (outcome.feasible.empty()) return {};
  const auto n = study::cheaper_neighbour(screen_costs(cands), usable(cands), outcome.feasible[0]);
  if (!n) return {};
  cands[*n].why.insert(Why::kNeighbour);
  if (cands[*n].simulated || !cands[*n].sim_error.empty()) return {};
  return {*n};
}

void plan(const PlanOptions& options) {
  const StudyOptions& o = options.study;
  study::Ranks ranks;  // first: under mpirun it initializes MPI (and finalizes it last)
  const study::Space space = study::read_space(options.space);
  std::vector<Candidate> cands = read_candidates(options, space);
  const auto wall_start = std::chrono::steady_clock::now();
  const ScreenTimes times = screen_all(cands, space, o.drain_s, wall_start);
  try {
    refuse_if_none_can_run(cands, options.space);
  } catch (const InputError&) {
    if (!ranks.root()) throw ExitStatus{kExitBadInput};  // every rank finds the same; rank 0 says it
    throw;
  }
  std::vector<size_t> chosen = choose(cands, options, space);
  std::vector<std::string> label_columns = space.grid.keys;
  label_columns.push_back("fidelity");
  study::RunnerOptions runner;
  runner.threads = o.threads;
  runner.drain_s = o.drain_s;
  Simulations sims{options, ranks, runner, label_columns, {}};
  simulate_round(cands, chosen, sims, times);
  for (int round = 0; round < kNeighbourRounds; ++round) {
    std::string next;
    if (ranks.root()) {
      combine_simulations(cands, sims.runs, space);
      study::Resume next_round;  // its encoding carries the candidates to every rank
      next_round.to_run = next_neighbour(cands, chosen);
      next = next_round.encode();
    }
    ranks.broadcast(next);
    const std::vector<size_t> list = study::Resume::decode(next);
    if (list.empty()) break;
    chosen.insert(chosen.end(), list.begin(), list.end());
    simulate_round(cands, list, sims, times);
  }
  if (!ranks.root()) return;
  const double total_s = seconds_since(wall_start);
  combine_simulations(cands, sims.runs, space);
  const Outcome outcome = outcome_of(cands, chosen);
  write_text_file(std::filesystem::path(o.out) / "plan.json",
                  plan_json(options, space, cands, outcome, times, total_s).dump(2) + "\n");
  print_table(cands, outcome, space);
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
  opts->study.seeds = 3;  // an answer with its spread: a Student-t interval needs two seeds, three give it some width
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
  sub->add_option("--screen-sample", opts->screen_sample,
                  "also simulate a seeded sample of N candidates, stratified over the screen's objective and its slack "
                  "to the constraints, and report how far the screen agrees with the simulation on them")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->callback([opts] { plan(*opts); });
}

}  // namespace moesim::tools
