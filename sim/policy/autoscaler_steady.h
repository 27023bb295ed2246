// Autoscaler `steady`: `slo` with decode units that one noisy interval cannot lock in. Decode units are the fleet's
// whole-unit steps (18 nodes, about 7 % of it) that a unit added on one noisy interval would hold for hours; prefill
// units are a fifth of that, and prefill's queue is where requests wait for their first token, so prefill stays as
// in `slo` (and so does everything during the warm-up, when units start at once). Decode keeps `slo`'s marks (add
// above `decode_high` of the units' capacity, remove one when the rest would stay below `decode_low`), on its demand
// in units of one unit's capacity, read so:
// - the standing load is what arrives at the fleet (requests accepted per second x the hold time at the SLO), not
//   what prefill sends on: prefill draining its queue sends a burst that is its backlog, and what it holds back will
//   come; the waiting sequences' share over the backlog horizon counts only as much of it as lasted `persist_s` (a
//   queue that drains before a new unit could start needs no new unit);
// - a crossing of the add mark counts at once when it exceeds the mark by more than `noise_z` sigmas of the standing
//   load's measured noise, or when the standing load rises so fast (its Theil-Sen trend over the noise window) that
//   the trend alone would carry it past that margin within `persist_s` (a ramp); a smaller one counts once the demand
//   has stayed above the mark for `persist_s` (every observation of that span), and then for the least of them;
// - a unit goes when the demand stayed below the remove mark for `persist_s`.
// The noise is the robust standard deviation of the standing load's second differences (a linear trend leaves them at
// zero; a backlog is no noise: it is what persistence is for) over the last `noise_window_s`: 1.4826 x their median
// absolute value / sqrt(6). A pool limit (max_nodes) cuts the target as in `slo`.
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

  /// The measured noise (standard deviation) of the standing load over its last `window` observations (oldest first);
  /// +inf with fewer than three.
  static double demand_noise(const std::deque<PoolDemand>& seen, size_t window);
  /// The standing load's trend over its last `window` observations, per observation: the median of the pairwise slopes
  /// (Theil-Sen); 0 with fewer than two.
  static double trend_slope(const std::deque<PoolDemand>& seen, size_t window);

 private:
  /// The decode target from the recent demand and the units held (serving or starting).
  int64_t decode_target(int64_t units) const;
  void remember(PoolDemand d);

  AutoscalerParams p_;
  SloDriven slo_;                // prefill's rule, and the warm-up's (without the pool limit)
  size_t persist_ = 1;           // observations a small crossing or a backlog must last: those over persist_s
  size_t window_ = 3;            // observations the noise is measured over: those in noise_window_s (at least 3)
  std::deque<PoolDemand> seen_;  // recent decode demand, oldest first, in units of one decode unit's capacity
};

}  // namespace moesim::policy
