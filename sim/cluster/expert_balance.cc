#include "sim/cluster/expert_balance.h"

#include <algorithm>

namespace moesim::cluster {

namespace {

policy::EplbShape eplb_shape(const llm::UnitGeometry& g) {
  return {g.expert_slots, g.expert_groups, g.nodes_per_unit, g.gpus};
}

}  // namespace

EplbExpertBalance::EplbExpertBalance(const cost::SkewSpec& skew, const std::string& policy,
                                     const llm::UnitGeometry& geometry, const policy::EplbPlannerConfig& planner,
                                     uint64_t seed, bool exact)
    : shape_(cost::routing_shape(geometry)),
      popularity_(skew, shape_, seed),
      // The first placement comes from the popularity at the start: the fleet was running before the window opened.
      planner_(policy::builtin_expert_balancers().make(policy), eplb_shape(geometry), shape_.num_layers,
               shape_.num_experts, planner, popularity_.expected_loads(0, 1.0)),
      gpus_(geometry.gpus),
      refresh_ns_(planner.interval_ns),
      exact_(exact) {
  load_ = std::make_unique<cost::ExpertLoadModel>(planner_.placement(), popularity_.shares_at(0),
                                                  popularity_.transient_sigma(), shape_, exact_);
  next_refresh_ns_ = refresh_ns_;
}

void EplbExpertBalance::refresh(int64_t now_ns) {
  // What the units routed since the last look, at the popularity of now (it drifts by the minute at most).
  if (tokens_since_observe_ > 0) planner_.observe(now_ns, popularity_.expected_loads(now_ns, tokens_since_observe_));
  tokens_since_observe_ = 0;
  last_observe_ns_ = now_ns;
  planner_.maybe_replan(now_ns);
  // Rebuild the load model for the current placement and popularity (both may have moved).
  load_ = std::make_unique<cost::ExpertLoadModel>(planner_.placement(), popularity_.shares_at(now_ns),
                                                  popularity_.transient_sigma(), shape_, exact_);
  next_refresh_ns_ = now_ns + refresh_ns_;
}

double EplbExpertBalance::max_factor(double tokens_per_gpu, engine::Time now) {
  double tokens = tokens_per_gpu * gpus_;
  tokens_since_observe_ += tokens;
  if (now.ns() >= next_refresh_ns_) refresh(now.ns());
  return load_->max_gpu_factor(std::max(tokens, 1.0));
}

}  // namespace moesim::cluster
