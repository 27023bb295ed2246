#include "sim/policy/autoscaler.h"

#include <algorithm>
#include <cmath>

namespace moesim::policy {

FleetTarget split_nodes(int64_t nodes, double decode_share, int64_t prefill_per_unit, int64_t decode_per_unit) {
  FleetTarget t;
  t.decode_units = std::max<int64_t>(
      1, std::llround(static_cast<double>(nodes) * decode_share / static_cast<double>(decode_per_unit)));
  t.prefill_units = std::max<int64_t>(1, (nodes - t.decode_units * decode_per_unit) / prefill_per_unit);
  return t;
}

PoolDemand decode_demand(const FleetObservation& o, double backlog_horizon_s) {
  auto active = static_cast<double>(o.decode_active);
  auto waiting = static_cast<double>(o.decode_waiting);
  if (o.decode_hold_s <= 0.0) return {active + waiting, 0.0};
  return {o.decode_offered_per_s * o.decode_hold_s, waiting * std::min(1.0, o.decode_hold_s / backlog_horizon_s)};
}

PoolDemand prefill_demand(const FleetObservation& o, double backlog_horizon_s) {
  return {o.prefill_offered_tokens_per_s, static_cast<double>(o.prefill_queued_tokens) / backlog_horizon_s};
}

bool cut_to_pool_limit(FleetTarget& t, const FleetObservation& o, int64_t max_nodes) {
  if (max_nodes <= 0) return false;
  bool cut = false;
  while (t.prefill_units * o.prefill_nodes_per_unit + t.decode_units * o.decode_nodes_per_unit > max_nodes &&
         (t.prefill_units > 1 || t.decode_units > 1)) {
    cut = true;
    // Cut where the overshoot is relatively largest.
    if (t.decode_units > 1 && t.decode_units > o.decode_units) {
      t.decode_units -= 1;
    } else if (t.prefill_units > 1) {
      t.prefill_units -= 1;
    } else {
      t.decode_units -= 1;
    }
  }
  return cut;
}

std::unique_ptr<AutoscalerPolicy> make_autoscaler(const AutoscalerParams& params) {
  return builtin_autoscalers().make(params.config.policy, params);
}

}  // namespace moesim::policy
