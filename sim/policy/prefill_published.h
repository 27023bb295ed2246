// Prefill balancer `published`: DeepSeek's published objective, equal core-attention computation and equal input
// tokens per GPU. The two are put on one scale by normalizing each by its mean over the ranks after placing the
// request, and the rank whose larger normalized load is smallest wins (a min-max over both objectives).
//
//   PrefillPublished lb;
//   size_t rank = lb.pick(views, {.new_tokens = 3000, .context_tokens = 5000});
#pragma once

#include <algorithm>

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class PrefillPublished final : public PrefillBalancer {
 public:
  // The unit's queued totals are kept through admit and progress, so a pick is one pass over the ranks (summing the
  // views on every pick was half its cost, and the pick a twentieth of the reference day's time).
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView& q) override {
    double n = static_cast<double>(ranks.size());
    double new_tokens = static_cast<double>(q.new_tokens);
    double pairs = q.attention();
    // Multiplying by the reciprocals of the means (not dividing per rank) keeps the scan free of divisions.
    double per_token = 1.0 / std::max((static_cast<double>(tokens_) + new_tokens) / n, 1.0);
    double per_pair = 1.0 / std::max((pairs_ + pairs) / n, 1.0);
    return argmin_rank(ranks, [&](const PrefillRankView& r) {
      double t = (static_cast<double>(r.queued_tokens) + new_tokens) * per_token;
      double a = (r.queued_attention + pairs) * per_pair;
      return min_max_score(t, a);
    });
  }
  void admit(size_t, const PrefillRequestView& q) override {
    requests_ += 1;
    tokens_ += q.new_tokens;
    pairs_ += q.attention();
  }
  void progress(size_t, int64_t tokens, double pairs) override {
    tokens_ -= tokens;
    pairs_ -= pairs;
  }
  void finish(size_t, const PrefillRequestView&) override {
    if (--requests_ == 0) pairs_ = 0.0;  // nothing queued: drop the sum's rounding residue
  }

 private:
  int64_t requests_ = 0;
  int64_t tokens_ = 0;  // new tokens queued on the unit
  double pairs_ = 0.0;  // attention pairs queued on the unit
};

}  // namespace moesim::policy
