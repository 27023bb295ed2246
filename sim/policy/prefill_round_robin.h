// Prefill balancer `round-robin`: the next rank in turn, whatever their queues.
//
//   PrefillRoundRobin lb;
//   size_t rank = lb.pick(views, request);  // 0, 1, 2, ... modulo the ranks
#pragma once

#include "sim/policy/rank_balancer.h"

namespace moesim::policy {

class PrefillRoundRobin final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    return next_++ % ranks.size();
  }

 private:
  size_t next_ = 0;
};

}  // namespace moesim::policy
