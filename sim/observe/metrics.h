// RunMetrics: listens to the fleet's signals and keeps what a run reports: latency and speed distributions, token
// totals, node-time, balancedness over time and the per-minute ledger of nodes and tokens.
//
//   RunMetrics m(price_config);  signals.subscribe(&m);  ... m.finish(end_ns);  nlohmann::json j = m.summary();
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/observe/histogram.h"
#include "sim/observe/signals.h"

namespace moesim::observe {

/// Prices that turn tokens and node-time into money.
struct Prices {
  double usd_per_gpu_hour = 2.0;
  double usd_per_m_cache_hit = 0.14;
  double usd_per_m_cache_miss = 0.55;
  double usd_per_m_output = 2.19;
  int64_t gpus_per_node = 0;           ///< from the hardware spec (the run's unit geometry): node-time to GPU-time
  int64_t prefill_nodes_per_unit = 4;  ///< to turn node-time into unit-time for busy fractions
  int64_t decode_nodes_per_unit = 18;
  double slo_user_tokens_per_s = 21.0;  ///< for the decode capacity at the SLO
};

/// One minute of the run.
struct MinuteRow {
  double prefill_node_s = 0.0;  ///< node-seconds held by prefill units
  double decode_node_s = 0.0;
  int64_t input_cached = 0;  ///< tokens of requests that completed in this minute
  int64_t input_uncached = 0;
  int64_t output = 0;
  int64_t completed = 0;
  double ttft_sum_s = 0.0;
  double speed_sum = 0.0;  ///< per-user decode tokens/s summed over completions
  int64_t speed_count = 0;
  double prefill_busy_s = 0.0;  ///< unit-seconds of prefill stepping that started in this minute
  double decode_busy_s = 0.0;
  double prefill_rank_balance_sum = 0.0;
  double decode_rank_balance_sum = 0.0;
  double expert_balance_sum = 0.0;
  int64_t prefill_steps = 0;
  int64_t decode_steps = 0;
  double kv_occupancy_sum = 0.0;
};

class RunMetrics final : public FleetListener {
 public:
  explicit RunMetrics(Prices prices) : prices_(prices) {}

  void on_request_done(const RequestDone& r) override;
  void on_prefill_step(const StepDone& s) override;
  void on_decode_step(const StepDone& s) override;
  void on_fleet_size(const FleetSize& f) override;

  /// Closes node-time accounting at `end_ns`.
  void finish(int64_t end_ns);

  /// The run's figures (see docs for each key).
  nlohmann::json summary() const;
  const std::vector<MinuteRow>& minutes() const { return minutes_; }
  /// Per-hour rows as CSV text (and per-minute with `per_minute`).
  std::string ledger_csv(bool per_minute) const;
  /// Latency CDF points (quantile, ttft_s, user tokens/s, end-to-end s) as CSV.
  std::string latency_cdf_csv() const;

  int64_t completed() const { return completed_; }
  int64_t rejected() const { return rejected_; }

 private:
  MinuteRow& minute(int64_t t_ns);
  void accrue_nodes(int64_t until_ns);

  Prices prices_;
  std::vector<MinuteRow> minutes_;
  LogHistogram ttft_;
  LogHistogram user_speed_;
  LogHistogram tbt_;
  LogHistogram e2e_;
  LogHistogram decode_wait_;
  int64_t completed_ = 0;
  int64_t rejected_ = 0;
  std::map<std::string, int64_t> rejected_by_reason_;
  int64_t input_cached_ = 0;
  int64_t input_uncached_ = 0;
  int64_t output_ = 0;
  int64_t prefill_computed_ = 0;
  double decode_emitted_ = 0.0;
  int64_t prefill_steps_ = 0;
  int64_t decode_steps_ = 0;
  double prefill_busy_s_ = 0.0;
  double decode_busy_s_ = 0.0;
  double prefill_rank_balance_sum_ = 0.0;
  double decode_rank_balance_sum_ = 0.0;
  double expert_balance_sum_ = 0.0;
  double decode_sequences_sum_ = 0.0;     // active sequences summed over decode steps
  double decode_capacity_token_s_ = 0.0;  // integral over decode steps of (SLO-capped sequences x SLO speed) dt
  // Node-time: the fleet size holds from last_size_ns_ until the next change.
  int64_t last_size_ns_ = 0;
  int64_t prefill_nodes_ = 0;
  int64_t decode_nodes_ = 0;
  int64_t peak_nodes_ = 0;
  double prefill_node_s_ = 0.0;
  double decode_node_s_ = 0.0;
  int64_t end_ns_ = 0;
};

}  // namespace moesim::observe
