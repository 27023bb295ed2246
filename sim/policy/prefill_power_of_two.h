// Prefill balancer `power-of-two`: power of two choices (Mitzenmacher 2001) on queued tokens, two random ranks and
// the lighter wins. Each unit's balancer draws from its own stream; unit 0's is the stream the balancer had when one
// balancer served every unit, so single-unit runs keep their draws.
//
//   PrefillPowerOfTwo lb({.seed = 1, .unit = 0, .ranks = 32});
//   size_t rank = lb.pick(views, request);
#pragma once

#include <string>

#include "common/rng.h"
#include "sim/policy/rank_balancer.h"

namespace moesim::policy {

class PrefillPowerOfTwo final : public PrefillBalancer {
 public:
  explicit PrefillPowerOfTwo(const RankBalancerContext& c)
      : rng_(Rng::stream(c.seed, "policy.prefill-power-of-two", static_cast<uint64_t>(c.unit))) {}
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    size_t a = rng_.below(ranks.size());
    size_t b = rng_.below(ranks.size());
    return ranks[b].queued_tokens < ranks[a].queued_tokens ? b : a;
  }

 private:
  Rng rng_;
};

}  // namespace moesim::policy
