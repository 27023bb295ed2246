// Periodic re-planning of the expert placement of one unit, from a moving average of the per-expert loads it observed
// (DeepSeek re-plans about every 10 minutes from online statistics, DeepSeek-V3 report sec. 3.4). No engine
// dependency: time is int64 nanoseconds, and the caller decides how often to observe (any cadence; each call costs
// O(layers x experts), so a fleet should batch a step's or a second's loads into one call).
//
//   moesim::policy::EplbPlanner planner(registry.make("auto"), {288, 8, 4, 32}, 58, 256, {});
//   planner.observe(now, loads);  if (planner.maybe_replan(now)) rebuild_load_model(planner.placement());
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/policy/expert_balancer.h"

namespace moesim::policy {

struct EplbPlannerConfig {
  int64_t interval_ns = 600'000'000'000;  ///< re-plan period: ~10 minutes (DeepSeek-V3 technical report, sec. 3.4)
  int64_t window_ns = 600'000'000'000;    ///< moving-average window; an assumption: one interval
  int buckets = 10;                       ///< the window is kept as this many time buckets (its resolution)
};

/// Owns a balancer and the current placement; replans at multiples of the interval.
class EplbPlanner {
 public:
  /// `initial_weight` (per layer, per expert) gives the placement before the first re-plan; empty means uniform.
  EplbPlanner(std::unique_ptr<ExpertBalancer> balancer, EplbShape shape, int num_layers, int num_experts,
              EplbPlannerConfig config, std::vector<std::vector<double>> initial_weight = {});

  /// Adds loads[layer][expert] (routed tokens, any unit) observed at time now_ns. Time must not go backward.
  void observe(int64_t now_ns, const std::vector<std::vector<double>>& loads);

  /// At or after the next re-plan time: places replicas from the window's loads and returns true (false when the
  /// window holds no load: the placement is kept). The next re-plan is at the following multiple of the interval.
  bool maybe_replan(int64_t now_ns);

  const cost::ExpertPlacement& placement() const { return placement_; }
  /// The window's summed loads as of now_ns (per layer, per expert): what the next re-plan would use.
  std::vector<std::vector<double>> window_loads(int64_t now_ns) const;
  int64_t next_replan_ns() const { return next_replan_ns_; }
  int replans() const { return replans_; }
  const EplbShape& shape() const { return shape_; }
  const ExpertBalancer& balancer() const { return *balancer_; }

 private:
  std::unique_ptr<ExpertBalancer> balancer_;
  EplbShape shape_;
  int num_layers_, num_experts_;
  EplbPlannerConfig config_;
  int64_t bucket_ns_;
  std::vector<int64_t> bucket_id_;  // which bucket (now / bucket_ns) each ring entry holds; -1 = empty
  std::vector<double> bucket_sum_;  // ring of [layer * experts + expert] sums
  cost::ExpertPlacement placement_;
  int64_t next_replan_ns_;
  int64_t last_observe_ns_ = 0;
  int replans_ = 0;
};

}  // namespace moesim::policy
