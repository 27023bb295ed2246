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

std::unique_ptr<AutoscalerPolicy> make_autoscaler(const AutoscalerParams& params) {
  return builtin_autoscalers().make(params.config.policy, params);
}

}  // namespace moesim::policy
