// Autoscaler `none`: a fixed fleet, the units the scenario starts with serve the whole run. It is static: the run
// builds no controller for it, so nothing ticks and nothing is observed.
//
//   FixedFleet p;
//   FleetTarget t = p.decide(o);  // {o.prefill_units, o.decode_units}
#pragma once

#include "sim/policy/autoscaler.h"

namespace moesim::policy {

class FixedFleet final : public AutoscalerPolicy {
 public:
  FleetTarget decide(const FleetObservation& o) override { return {o.prefill_units, o.decode_units}; }
  bool static_fleet() const override { return true; }
};

}  // namespace moesim::policy
