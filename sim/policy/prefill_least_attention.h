// Prefill balancer `least-attention`: the rank with the least queued core-attention work (token pairs).
//
//   PrefillLeastAttention lb;
//   size_t rank = lb.pick(views, request);
#pragma once

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class PrefillLeastAttention final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    return argmin_rank(ranks, [](const PrefillRankView& r) { return r.queued_attention; });
  }
};

}  // namespace moesim::policy
