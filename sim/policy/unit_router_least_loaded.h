// Unit router `least-loaded`: prefill, the serving unit with the fewest queued new tokens; decode, the serving unit
// with the fewest sequences (active + waiting) for its SLO capacity. Ties go to the oldest unit (lowest id).
//
//   LeastLoadedRouter router;
//   int64_t unit = router.pick_decode(units, {.kv_tokens = 5000});  // -1: no decode unit serves
#pragma once

#include <algorithm>
#include <limits>

#include "sim/policy/unit_router.h"

namespace moesim::policy {

class LeastLoadedRouter final : public UnitRouter {
 public:
  int64_t pick_prefill(std::span<const PrefillUnitView> units, const PrefillRequestView&) override {
    int64_t best = -1;
    for (size_t i = 0; i < units.size(); ++i) {
      if (!units[i].serving) continue;
      if (best < 0 || units[i].queued_tokens < units[static_cast<size_t>(best)].queued_tokens) {
        best = static_cast<int64_t>(i);
      }
    }
    return best;
  }

  int64_t pick_decode(std::span<const DecodeUnitView> units, const DecodeRequestView&) override {
    int64_t best = -1;
    double best_load = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < units.size(); ++i) {
      const auto& u = units[i];
      if (!u.serving) continue;
      double load = static_cast<double>(u.active + u.waiting) / static_cast<double>(std::max<int64_t>(u.capacity, 1));
      if (load < best_load) {
        best_load = load;
        best = static_cast<int64_t>(i);
      }
    }
    return best;
  }
};

}  // namespace moesim::policy
