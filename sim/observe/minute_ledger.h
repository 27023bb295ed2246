// MinuteLedger: the run minute by minute (nodes held, tokens and requests completed, latency sums, busy time,
// balance), written as the hourly and per-minute ledgers (hourly.csv, minutes.csv) with cost and revenue per row.
//
//   MinuteLedger ledger(config);  ledger.at(t_ns).output += 10;  std::string csv = ledger.csv(/*per_minute=*/false);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/observe/latency.h"
#include "sim/observe/metrics_config.h"
#include "sim/observe/signals.h"

namespace moesim::observe {

/// One minute of the run (or, summed, a span of minutes).
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

  MinuteRow& operator+=(const MinuteRow& m);
};

class MinuteLedger {
 public:
  explicit MinuteLedger(const MetricsConfig& config) : config_(config) {}

  /// The row of the minute holding `t_ns` (grown as needed; negative times count in minute 0).
  MinuteRow& at(int64_t t_ns);
  /// A request completed (at its finish time).
  void add_request(const RequestDone& r, const RequestLatency& l);
  /// A step (in the minute it started).
  void add_prefill_step(const StepDone& s);
  void add_decode_step(const StepDone& s);

  const std::vector<MinuteRow>& rows() const { return rows_; }
  /// One CSV row per hour (or per minute with `per_minute`), with cost and revenue from money().
  std::string csv(bool per_minute) const;

 private:
  MetricsConfig config_;
  std::vector<MinuteRow> rows_;
};

}  // namespace moesim::observe
