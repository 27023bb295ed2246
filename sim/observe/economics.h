// Economics: the one place where node-time and tokens become money. The run's summary and every row of the hourly
// and per-minute ledgers price their node-seconds and tokens through money(), so they cannot disagree. The prefill
// and decode pools may be of different hardware kinds: each pool's node-seconds are billed at its own kind's GPUs
// per node and GPU-hour price.
//
//   Money m = money(prices, {.prefill = 4 * 3600.0, .decode = 18 * 3600.0}, {.input_cached = 600'000});
//   double usd = m.cost_usd;
#pragma once

#include <cstdint>

namespace moesim::observe {

/// What a node-second of one pool costs: its kind's GPUs per node and the price of one of its GPUs an hour.
struct NodeRate {
  int64_t gpus_per_node = 0;      ///< from the pool's hardware spec (its unit geometry): node-time to GPU-time
  double usd_per_gpu_hour = 2.0;  ///< default: the pool's hardware spec's rental price (hardware/specs/*.json)

  bool operator==(const NodeRate&) const = default;
};

/// Prices that turn tokens and node-time into money.
/// The prices a run bills with: the scenario's `economics` object as parsed (sim/cluster/scenario.cc), and each
/// pool's GPUs per node and GPU-hour price from its hardware kind (the scenario's usd_per_gpu_hour, when it sets
/// one, prices every kind).
struct Prices {
  NodeRate prefill;
  NodeRate decode;
  double usd_per_m_input_cache_hit = 0.14;   ///< R1 price, DeepSeek API pricing (2025-02)
  double usd_per_m_input_cache_miss = 0.55;  ///< R1 price
  double usd_per_m_output = 2.19;            ///< R1 price
};

/// Node-seconds held by each pool.
struct PoolNodeSeconds {
  double prefill = 0.0;
  double decode = 0.0;
};

/// Tokens of completed requests, as they are priced.
struct BilledTokens {
  int64_t input_cached = 0;
  int64_t input_uncached = 0;
  int64_t output = 0;
};

/// What a span of the run cost and earned.
struct Money {
  double cost_usd = 0.0;     ///< each pool's node-seconds x its GPUs per node x its $ per GPU-hour, summed
  double revenue_usd = 0.0;  ///< tokens x $ per M tokens (cache hit, cache miss, output)
  double margin = 0.0;       ///< (revenue - cost) / cost; 0 when nothing cost anything

  bool operator==(const Money&) const = default;
};

/// The cost of the pools' `node_s` and the revenue of `tokens` at `prices`. Pools billed at the same rate have their
/// node-seconds summed before they are priced (one multiplication, whatever the split between the pools).
Money money(const Prices& prices, PoolNodeSeconds node_s, const BilledTokens& tokens);

/// a / b, or 0 when b is not positive: every mean and share of the report (an empty run reports zeros).
inline double ratio_or_zero(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace moesim::observe
