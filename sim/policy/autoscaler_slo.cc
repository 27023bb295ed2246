#include "sim/policy/autoscaler_slo.h"

#include <algorithm>
#include <cmath>

namespace moesim::policy {

FleetTarget SloDriven::decide(const FleetObservation& o) {
  FleetTarget t{o.prefill_units, o.decode_units};
  if (o.decode_capacity_per_unit > 0) {
    double demand = decode_demand(o, p_.config.backlog_horizon_s).total();
    double per_unit = static_cast<double>(o.decode_capacity_per_unit);
    // Units needed to hold the demand at `decode_high`, and no fewer than keep it under it after a removal.
    auto needed = static_cast<int64_t>(std::ceil(demand / (per_unit * p_.config.decode_high)));
    if (needed > t.decode_units) {
      t.decode_units = needed;
    } else if (t.decode_units > 1 &&
               demand < per_unit * static_cast<double>(t.decode_units - 1) * p_.config.decode_low) {
      t.decode_units -= 1;
    }
  }
  // (A busy fraction would mislead: a unit steps whenever it holds any work, however little.)
  double demand = prefill_demand(o, p_.config.backlog_horizon_s).total();
  double busy_units = o.prefill_capacity_per_unit > 0 ? demand / o.prefill_capacity_per_unit
                                                      : static_cast<double>(o.prefill_units) * p_.config.prefill_high;
  auto needed = static_cast<int64_t>(std::ceil(busy_units / p_.config.prefill_high));
  if (needed > t.prefill_units) {
    t.prefill_units = needed;
  } else if (t.prefill_units > 1 && busy_units < static_cast<double>(t.prefill_units - 1) * p_.config.prefill_low) {
    t.prefill_units -= 1;
  }
  t.decode_units = std::max<int64_t>(t.decode_units, 1);
  t.prefill_units = std::max<int64_t>(t.prefill_units, 1);
  limit_bound_ = cut_to_pool_limit(t, o, p_.config.max_nodes);
  return t;
}

}  // namespace moesim::policy
