// Prefill balancer `least-tokens`: the rank with the fewest queued new tokens.
//
//   PrefillLeastTokens lb;
//   size_t rank = lb.pick(views, request);
#pragma once

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class PrefillLeastTokens final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    return argmin_rank(ranks, [](const PrefillRankView& r) { return static_cast<double>(r.queued_tokens); });
  }
};

}  // namespace moesim::policy
