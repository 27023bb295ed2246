// Decode balancer `published`: DeepSeek's published objective, equal KV-cache usage (core attention) and equal
// request count (dispatch volume) per GPU; normalized by their means and combined as a min-max, as for prefill.
//
//   DecodePublished lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000});  // -1: no rank fits
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class DecodePublished final : public DecodeBalancer {
 public:
  // At each refresh, the unit's totals and the ranks below their batch cap (the only ones that can fit until the
  // next refresh); admissions add to the totals. A pick then scans the open ranks only: at capacity, a step frees a
  // few slots on a few of the 144 ranks, and the full scan was a fifth of the reference day's time.
  void begin_admissions(std::span<const DecodeRankView> ranks) override {
    sequences_ = 0;
    kv_ = 0;
    open_.clear();
    for (size_t i = 0; i < ranks.size(); ++i) {
      sequences_ += ranks[i].sequences;
      kv_ += ranks[i].kv_tokens;
      if (ranks[i].sequences < ranks[i].max_sequences) open_.push_back(static_cast<uint32_t>(i));
    }
  }

  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    double n = static_cast<double>(ranks.size());
    double incoming = static_cast<double>(q.kv_tokens);
    double per_sequence = 1.0 / std::max(static_cast<double>(sequences_ + 1) / n, 1.0);  // no division in the scan
    double per_kv = 1.0 / std::max((kv_ + incoming) / n, 1.0);
    int64_t best = -1;
    double best_score = std::numeric_limits<double>::infinity();
    for (uint32_t i : open_) {  // in rank order: ties go to the lower rank, as a full scan's
      const auto& r = ranks[i];
      if (!fits(r, q)) continue;
      double score =
          min_max_score(static_cast<double>(r.sequences + 1) * per_sequence, (r.kv_tokens + incoming) * per_kv);
      if (score < best_score) {
        best_score = score;
        best = i;
      }
    }
    return best;
  }

  void admit(size_t, const DecodeRequestView& q) override {
    sequences_ += 1;
    kv_ += static_cast<double>(q.kv_tokens);
  }

 private:
  int64_t sequences_ = 0;
  double kv_ = 0;
  std::vector<uint32_t> open_;
};

}  // namespace moesim::policy
