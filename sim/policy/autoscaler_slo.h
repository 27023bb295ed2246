// Autoscaler `slo`: scales each pool on its offered load. Decode, by Little's law: sequences arriving per second
// times how long each holds a slot at the SLO speed, plus the waiting sequences' share of slots over the backlog
// horizon, against what the units hold at the SLO batch cap; a unit is added above `decode_high`, and one is removed
// when the rest would stay below `decode_low`. Prefill: new tokens arriving per second plus the backlog over the
// horizon, in units of one unit's full-step capacity; likewise. A pool limit (max_nodes) cuts the target.
//
//   SloDriven p(params);
//   FleetTarget t = p.decide(o);  if (p.limit_bound()) ...
#pragma once

#include <utility>

#include "sim/policy/autoscaler.h"

namespace moesim::policy {

class SloDriven final : public AutoscalerPolicy {
 public:
  explicit SloDriven(AutoscalerParams p) : p_(std::move(p)) {}
  FleetTarget decide(const FleetObservation& o) override;

 private:
  AutoscalerParams p_;
};

}  // namespace moesim::policy
