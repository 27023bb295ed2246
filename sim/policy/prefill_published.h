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
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView& q) override {
    double total_tokens = static_cast<double>(q.new_tokens);
    double total_attn = q.attention();
    for (const auto& r : ranks) {
      total_tokens += static_cast<double>(r.queued_tokens);
      total_attn += r.queued_attention;
    }
    double n = static_cast<double>(ranks.size());
    // Multiplying by the reciprocals of the means (not dividing per rank) keeps the scan free of divisions: it was
    // the largest single cost of the reference day.
    double per_token = 1.0 / std::max(total_tokens / n, 1.0);
    double per_pair = 1.0 / std::max(total_attn / n, 1.0);
    double new_tokens = static_cast<double>(q.new_tokens);
    double pairs = q.attention();
    return argmin_rank(ranks, [&](const PrefillRankView& r) {
      double t = (static_cast<double>(r.queued_tokens) + new_tokens) * per_token;
      double a = (r.queued_attention + pairs) * per_pair;
      return min_max_score(t, a);
    });
  }
};

}  // namespace moesim::policy
