// Autoscaler `fixed`: imposes a node schedule, (start_s, nodes) steps, split into units by the assumed share of nodes
// that decode. The schedule is imposed as given: the pool limit does not cut it.
//
//   FixedSchedule p(params);  // params.schedule = {{0, 200}, {3600, 240}}, params.decode_node_share = 0.6
//   FleetTarget t = p.decide(o);
#pragma once

#include <utility>

#include "common/error.h"
#include "sim/policy/autoscaler.h"

namespace moesim::policy {

class FixedSchedule final : public AutoscalerPolicy {
 public:
  explicit FixedSchedule(AutoscalerParams p) : p_(std::move(p)) {
    if (p_.schedule.empty())
      throw InputError("autoscaler: the fixed policy needs a schedule (autoscaler.schedule: a CSV of start,end,nodes)");
  }
  FleetTarget decide(const FleetObservation& o) override {
    int64_t nodes = p_.schedule.front().second;
    for (const auto& [start, n] : p_.schedule) {
      if (o.now_s + 1e-9 >= start) nodes = n;
    }
    return split_nodes(nodes, p_.config.decode_node_share, o.prefill_nodes_per_unit, o.decode_nodes_per_unit);
  }

 private:
  AutoscalerParams p_;
};

}  // namespace moesim::policy
