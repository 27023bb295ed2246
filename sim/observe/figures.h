// The figure catalogue: every figure of summary.json that the studies and the terminal report use, once, with its
// unit, which way is better, how a study combines its runs over seeds and whether a comparison gives it a paired
// Student-t interval. The terminal report (tools/report.cc), the comparison (tools/study/compare.*), the screen
// (tools/study/screen.cc) and the plan (tools/cmd_plan.cc) look figures up here by name, or walk the catalogue for
// their tables; RunReport (run_report.h) stays the one place a figure is computed and serialized, and
// tests/observe/figures_test.cc checks that each entry reads the same value as its summary.json key.
//
//   constexpr const Figure& ttft = figure("ttft_p90_s");  // a name not in the catalogue does not compile
//   double v = ttft.get(report);  bool lower = ttft.better == Better::kLower;
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "sim/observe/run_report.h"

namespace moesim::observe {

/// Which way a figure is better; kNone for figures that describe the workload or the run rather than judge it.
enum class Better { kLower, kHigher, kNone };

/// How a study combines a figure's runs over seeds into the candidate's figure.
enum class OverSeeds {
  kMean,  ///< the seeds are replicates of one candidate: their mean estimates its figure
  kSum,   ///< a total over the runs (no figure of the catalogue is one today)
};

struct Figure {
  std::string_view name;  ///< summary.json's key (flattened name)
  std::string_view unit;  ///< "s", "tokens/s", "nodes", "USD", "requests", "tokens", "1" (a ratio or a share)
  Better better;
  OverSeeds over_seeds;
  bool interval;  ///< judged by `moesim compare` (paired Student-t interval, Holm's correction)
  double (*get)(const RunReport&);
};

/// The catalogue. The figures with `interval` are compared in this order (compare.json's rows, the terminal table).
inline constexpr auto kFigures = std::to_array<Figure>({
    // Latency and per-user speed.
    {"ttft_mean_s", "s", Better::kLower, OverSeeds::kMean, false,
     [](const RunReport& r) { return r.latency.ttft_mean_s; }},
    {"ttft_p50_s", "s", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.latency.ttft_p50_s; }},
    {"ttft_p90_s", "s", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.latency.ttft_p90_s; }},
    {"ttft_p99_s", "s", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.latency.ttft_p99_s; }},
    {"user_tokens_per_s_mean", "tokens/s", Better::kHigher, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.latency.user_tokens_per_s_mean; }},
    {"user_tokens_per_s_p10", "tokens/s", Better::kHigher, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.latency.user_tokens_per_s_p10; }},
    {"e2e_p50_s", "s", Better::kLower, OverSeeds::kMean, true, [](const RunReport& r) { return r.latency.e2e_p50_s; }},
    {"e2e_p99_s", "s", Better::kLower, OverSeeds::kMean, true, [](const RunReport& r) { return r.latency.e2e_p99_s; }},
    // Steps and balance.
    {"decode_step_mean_s", "s", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.steps.decode_step_mean_s; }},
    {"prefill_step_mean_s", "s", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.steps.prefill_step_mean_s; }},
    {"decode_rank_balance_mean", "1", Better::kHigher, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.steps.decode_rank_balance_mean; }},
    {"prefill_rank_balance_mean", "1", Better::kHigher, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.steps.prefill_rank_balance_mean; }},
    {"expert_balance_mean", "1", Better::kHigher, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.steps.expert_balance_mean; }},
    // Nodes, throughput per node, money.
    {"nodes_avg", "nodes", Better::kLower, OverSeeds::kMean, true, [](const RunReport& r) { return r.nodes.avg; }},
    {"nodes_peak", "nodes", Better::kLower, OverSeeds::kMean, false,
     [](const RunReport& r) { return static_cast<double>(r.nodes.peak); }},
    {"prefill_nodes_avg", "nodes", Better::kLower, OverSeeds::kMean, false,
     [](const RunReport& r) { return r.nodes.prefill_avg; }},
    {"decode_nodes_avg", "nodes", Better::kLower, OverSeeds::kMean, false,
     [](const RunReport& r) { return r.nodes.decode_avg; }},
    {"prefill_tokens_per_s_per_node", "tokens/s", Better::kHigher, OverSeeds::kMean, false,
     [](const RunReport& r) { return r.throughput.prefill_tokens_per_s_per_node; }},
    {"decode_tokens_per_s_per_node", "tokens/s", Better::kHigher, OverSeeds::kMean, false,
     [](const RunReport& r) { return r.throughput.decode_tokens_per_s_per_node; }},
    {"cost_usd", "USD", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return r.economics.cost_usd; }},
    {"revenue_usd", "USD", Better::kHigher, OverSeeds::kMean, false,
     [](const RunReport& r) { return r.economics.revenue_usd; }},
    {"margin", "1", Better::kHigher, OverSeeds::kMean, false, [](const RunReport& r) { return r.economics.margin; }},
    // Requests and tokens.
    {"requests_rejected", "requests", Better::kLower, OverSeeds::kMean, true,
     [](const RunReport& r) { return static_cast<double>(r.conservation.requests_rejected); }},
    {"requests_in", "requests", Better::kNone, OverSeeds::kMean, false,
     [](const RunReport& r) { return static_cast<double>(r.conservation.requests_in); }},
    {"input_tokens", "tokens", Better::kNone, OverSeeds::kMean, false,
     [](const RunReport& r) { return static_cast<double>(r.tokens.input); }},
    {"output_tokens", "tokens", Better::kNone, OverSeeds::kMean, false,
     [](const RunReport& r) { return static_cast<double>(r.tokens.output); }},
    {"simulated_s", "s", Better::kNone, OverSeeds::kMean, false, [](const RunReport& r) { return r.simulated_s; }},
});

/// The catalogue's entry for `name`, found at compile time: a name it does not hold is a compile error.
consteval const Figure& figure(std::string_view name) {
  for (const Figure& f : kFigures) {
    if (f.name == name) return f;
  }
  throw "not a figure of the catalogue (sim/observe/figures.h)";
}

/// The entry for a name known only at run time (a plan's constraint); nullptr when the catalogue does not hold it.
const Figure* find_figure(std::string_view name);

/// "lower", "higher" or "none", as compare.json and compare.csv write it.
std::string_view better_name(Better better);

/// A figure's runs over seeds combined as `over_seeds` says, from their sum and count (count > 0).
double combine_over_seeds(OverSeeds over_seeds, double sum, int count);

}  // namespace moesim::observe
