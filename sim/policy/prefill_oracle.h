// Prefill balancer `oracle`: an informed baseline, not a deployable policy. It knows each rank's queued work ahead
// in seconds: the queued new tokens and attention pairs priced at the unit's own marginal step costs
// (RankBalancerContext::prefill_s_per_token and prefill_s_per_pair, taken from the step model when the unit is
// built), and sends the request where it would be computed soonest. The published balancer weighs the same two
// loads by their means instead of their costs; the gap between the two bounds what knowing the costs buys.
// Without known costs (both 0, as in unit tests) it counts tokens alone.
//
//   PrefillOracle lb({.ranks = 32, .prefill_s_per_token = 2e-6, .prefill_s_per_pair = 1e-10});
//   size_t rank = lb.pick(views, {.new_tokens = 3000, .context_tokens = 5000});
#pragma once

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class PrefillOracle final : public PrefillBalancer {
 public:
  explicit PrefillOracle(const RankBalancerContext& c)
      : per_token_(c.prefill_s_per_token > 0 || c.prefill_s_per_pair > 0 ? c.prefill_s_per_token : 1.0),
        per_pair_(c.prefill_s_per_token > 0 || c.prefill_s_per_pair > 0 ? c.prefill_s_per_pair : 0.0) {}
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    // The request's own cost is the same on every rank: the least work ahead wins.
    return argmin_rank(ranks, [&](const PrefillRankView& r) {
      return static_cast<double>(r.queued_tokens) * per_token_ + r.queued_attention * per_pair_;
    });
  }

 private:
  double per_token_;
  double per_pair_;
};

}  // namespace moesim::policy
