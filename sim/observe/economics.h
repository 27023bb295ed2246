// Economics: the one place where node-time and tokens become money. The run's summary and every row of the hourly
// and per-minute ledgers price their node-seconds and tokens through money(), so they cannot disagree.
//
//   Money m = money(prices, node_s, {.input_cached = 600'000, .input_uncached = 400'000, .output = 200'000});
//   double usd = m.cost_usd;
#pragma once

#include <cstdint>

namespace moesim::observe {

/// Prices that turn tokens and node-time into money.
/// The prices a run bills with: the scenario's `economics` object as parsed (sim/cluster/scenario.cc), and the GPUs
/// per node its hardware has.
struct Prices {
  double usd_per_gpu_hour = 2.0;             ///< default: the hardware spec's rental price (hardware/specs/*.json)
  double usd_per_m_input_cache_hit = 0.14;   ///< R1 price, DeepSeek API pricing (2025-02)
  double usd_per_m_input_cache_miss = 0.55;  ///< R1 price
  double usd_per_m_output = 2.19;            ///< R1 price
  int64_t gpus_per_node = 0;  ///< from the hardware spec (the run's unit geometry): node-time to GPU-time
};

/// Tokens of completed requests, as they are priced.
struct BilledTokens {
  int64_t input_cached = 0;
  int64_t input_uncached = 0;
  int64_t output = 0;
};

/// What a span of the run cost and earned.
struct Money {
  double cost_usd = 0.0;     ///< node-seconds x GPUs per node x $ per GPU-hour
  double revenue_usd = 0.0;  ///< tokens x $ per M tokens (cache hit, cache miss, output)
  double margin = 0.0;       ///< (revenue - cost) / cost; 0 when nothing cost anything

  bool operator==(const Money&) const = default;
};

/// The cost of `node_s` node-seconds and the revenue of `tokens` at `prices`.
Money money(const Prices& prices, double node_s, const BilledTokens& tokens);

/// a / b, or 0 when b is not positive: every mean and share of the report (an empty run reports zeros).
inline double ratio_or_zero(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace moesim::observe
