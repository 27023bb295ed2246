// Autoscaler `steady`: the `slo` marks (add above `*_high` of the units' capacity, remove one when the rest would
// stay below `*_low`), applied so that one noisy interval cannot lock a unit in. Each pool's demand is read in units
// of one unit's capacity (the `slo` demand: standing load plus the backlog's share over the horizon, except that
// decode's standing load is what arrives at the fleet, not what prefill sends on: prefill draining its queue sends a
// burst that is its backlog, and what it holds back will come), and:
// - a crossing of the add mark counts at once only when it exceeds the mark by more than `noise_z` sigmas of the
//   demand's measured noise (a ramp does); a smaller one counts once the demand has stayed above the mark for
//   `persist_s` (every observation of that span), and then for the least of them;
// - a backlog (waiting sequences, queued prefill tokens) counts only as much of it as lasted `persist_s`: a queue that
//   drains before a new unit could start (startup_s) needs no new unit;
// - a unit goes when the demand stayed below the remove mark for `persist_s`.
// The noise is the robust standard deviation of the demand's second differences (which a linear trend leaves at
// zero) over the last `noise_window_s`: 1.4826 x their median absolute value / sqrt(6). During the warm-up (units start
// at once) it decides as `slo`. A pool limit (max_nodes) cuts the target as in `slo`.
//
//   SteadyDriven p(params);
//   FleetTarget t = p.decide(observation);  // one observation an interval, in time order: it keeps the recent ones
#pragma once

#include <cstddef>
#include <deque>

#include "sim/policy/autoscaler.h"
#include "sim/policy/autoscaler_slo.h"

namespace moesim::policy {

class SteadyDriven final : public AutoscalerPolicy {
 public:
  explicit SteadyDriven(const AutoscalerParams& p);
  FleetTarget decide(const FleetObservation& o) override;

  /// The measured noise (standard deviation) of a pool's demand over its last `window` observations (oldest first);
  /// +inf with fewer than three.
  static double demand_noise(const std::deque<PoolDemand>& seen, size_t window);
  /// How far the demand's trend moved it over its last `window` observations: the median of the pairwise slopes
  /// (Theil-Sen) times the span; 0 with fewer than two.
  static double trend_rise(const std::deque<PoolDemand>& seen, size_t window);

 private:
  struct PoolMarks {
    int64_t units;        // held (serving or starting)
    double high;          // add above this share of the units' capacity
    double low;           // remove one when the rest would stay below this share
    bool backlog_drains;  // the pool's backlog drains by itself (decode: slots free as sequences finish)
  };
  /// A pool's target from its recent demand (in units of one unit's capacity, oldest first) and its marks.
  int64_t pool_target(const std::deque<PoolDemand>& seen, const PoolMarks& marks) const;
  void remember(std::deque<PoolDemand>& seen, PoolDemand d) const;

  AutoscalerParams p_;
  SloDriven slo_;                   // the warm-up's rule
  size_t persist_ = 1;              // observations a small crossing or a backlog must last: those over persist_s
  size_t window_ = 3;               // observations the noise is measured over: those in noise_window_s (at least 3)
  std::deque<PoolDemand> prefill_;  // recent demand, oldest first, in prefill units
  std::deque<PoolDemand> decode_;   // in decode units
};

}  // namespace moesim::policy
