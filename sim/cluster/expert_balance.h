// EplbExpertBalance: the expert-load side of a unit's step under the expert-parallel balancer. Expert popularity
// (models/cost/expert_popularity.h) drifts over the day; the EPLB planner re-places replicas every interval from a
// moving average of the loads the units routed; between re-plans the precomputed load model answers, per step, the
// most-loaded GPU's routed tokens over the mean (a table lookup, never 256 draws per layer per step).
//
//   EplbExpertBalance experts(skew_spec, "auto", scenario.geometry.decode, config, seed);
//   double f = experts.max_factor(tokens_per_gpu, now);
#pragma once

#include <memory>
#include <string>

#include "models/cost/expert_load.h"
#include "models/cost/expert_popularity.h"
#include "models/llm/geometry.h"
#include "sim/cluster/prefill_unit.h"
#include "sim/policy/eplb_planner.h"

namespace moesim::cluster {

class EplbExpertBalance final : public ExpertBalance {
 public:
  /// One unit of `geometry` (its GPUs, nodes, expert slots and routing shape); `policy` none | auto | global |
  /// hierarchical. `exact`: the load model's table from its adaptive reference (cost::ExpertLoadModel).
  EplbExpertBalance(const cost::SkewSpec& skew, const std::string& policy, const llm::UnitGeometry& geometry,
                    const policy::EplbPlannerConfig& planner, uint64_t seed, bool exact = false);

  double max_factor(double tokens_per_gpu, engine::Time now) override;

  int replans() const { return planner_.replans(); }
  double expected_balancedness() const { return load_->expected_balancedness(); }

 private:
  void refresh(int64_t now_ns);

  cost::RoutingShape shape_;
  cost::ExpertPopularity popularity_;
  policy::EplbPlanner planner_;
  std::unique_ptr<cost::ExpertLoadModel> load_;
  int gpus_;
  int64_t next_refresh_ns_ = 0;
  int64_t last_observe_ns_ = 0;
  double tokens_since_observe_ = 0;
  int64_t refresh_ns_;
  bool exact_;
};

}  // namespace moesim::cluster
