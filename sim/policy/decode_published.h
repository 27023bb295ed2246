// Decode balancer `published`: DeepSeek's published objective, equal KV-cache usage (core attention) and equal
// request count (dispatch volume) per GPU; normalized by their means and combined as a min-max, as for prefill.
//
//   DecodePublished lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000});  // -1: no rank fits
#pragma once

#include <algorithm>

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class DecodePublished final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    double seqs = 1.0;
    double kv = static_cast<double>(q.kv_tokens);
    for (const auto& r : ranks) {
      seqs += static_cast<double>(r.sequences);
      kv += r.kv_tokens;
    }
    double n = static_cast<double>(ranks.size());
    double per_sequence = 1.0 / std::max(seqs / n, 1.0);  // reciprocals: no division in the scan
    double per_kv = 1.0 / std::max(kv / n, 1.0);
    double incoming = static_cast<double>(q.kv_tokens);
    return argmin_fitting_rank(ranks, q, [&](const DecodeRankView& r) {
      double s = static_cast<double>(r.sequences + 1) * per_sequence;
      double k = (r.kv_tokens + incoming) * per_kv;
      return min_max_score(s, k);
    });
  }
};

}  // namespace moesim::policy
