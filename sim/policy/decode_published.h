// Decode balancer `published`: DeepSeek's published objective, equal KV-cache usage (core attention) and equal
// request count (dispatch volume) per GPU; normalized by their means and combined as a min-max, as for prefill.
//
//   DecodePublished lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000});  // -1: no rank fits
#pragma once

#include <algorithm>
#include <bit>
#include <functional>
#include <limits>
#include <vector>

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class DecodePublished final : public DecodeBalancer {
 public:
  // At each refresh the balancer keeps the unit's totals and, when every rank has the same batch cap and HBM (as a
  // unit's ranks do), the ranks below the cap in buckets by sequence count, each bucket a min-heap by (KV, rank).
  // Inside a bucket the score grows with the KV, so only the bucket's least-KV rank (ties: the lower rank) can win;
  // and a bucket whose sequence term alone reaches the best score found ends the search, as every later bucket's does
  // too. A rank that is admitted (or leaves) is pushed again into its new bucket at the next pick, with its KV then;
  // the entries it left behind are dropped when they reach a heap's top (an entry is live while its rank still has
  // that bucket's sequence count and that KV). A pick costs O(buckets + log ranks) instead of a scan of 144 ranks (the
  // scan was a fifth of the reference day's time). It picks what the full scan picks, except when two ranks' KV
  // differ by less than the score's rounding (1e-10 tokens at a unit's KV) and not at all. With unequal caps it scans
  // the ranks below their cap.
  void begin_admissions(std::span<const DecodeRankView> ranks) override {
    sequences_ = 0;
    kv_ = 0;
    bool uniform = true;
    for (const auto& r : ranks) {
      sequences_ += r.sequences;
      kv_ += r.kv_tokens;
      uniform = uniform && r.max_sequences == ranks[0].max_sequences && r.kv_capacity == ranks[0].kv_capacity;
    }
    for (int64_t s = lowest_; s <= highest_; ++s) buckets_[static_cast<size_t>(s)].clear();
    open_.clear();
    moved_.clear();
    bucketed_ = uniform && !ranks.empty() && ranks.size() <= kMaxBucketedRanks;
    lowest_ = 0;
    highest_ = -1;
    if (!bucketed_) {
      for (size_t i = 0; i < ranks.size(); ++i) {
        if (ranks[i].sequences < ranks[i].max_sequences) open_.push_back(static_cast<uint32_t>(i));
      }
      return;
    }
    cap_ = ranks[0].max_sequences;
    if (buckets_.size() < static_cast<size_t>(std::max<int64_t>(cap_, 0))) buckets_.resize(static_cast<size_t>(cap_));
    lowest_ = cap_;
    for (size_t i = 0; i < ranks.size(); ++i) {
      int64_t s = ranks[i].sequences;
      if (s < 0 || s >= cap_) continue;
      buckets_[static_cast<size_t>(s)].push_back(entry(ranks[i].kv_tokens, static_cast<uint32_t>(i)));
      lowest_ = std::min(lowest_, s);
      highest_ = std::max(highest_, s);
    }
    heaped_.assign(buckets_.size(), 0);  // a bucket is made a heap when a pick first reaches it
    if (highest_ < 0) lowest_ = 0;
  }

  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    double n = static_cast<double>(ranks.size());
    double incoming = static_cast<double>(q.kv_tokens);
    double per_sequence = 1.0 / std::max(static_cast<double>(sequences_ + 1) / n, 1.0);  // no division in the scan
    double per_kv = 1.0 / std::max((kv_ + incoming) / n, 1.0);
    int64_t best = -1;
    double best_score = std::numeric_limits<double>::infinity();
    auto consider = [&](uint32_t i) {
      const auto& r = ranks[i];
      if (!fits(r, q)) return;
      double score =
          min_max_score(static_cast<double>(r.sequences + 1) * per_sequence, (r.kv_tokens + incoming) * per_kv);
      if (score < best_score || (score == best_score && i < best)) {
        best_score = score;
        best = i;
      }
    };
    if (!bucketed_) {
      for (uint32_t i : open_) consider(i);  // in rank order: ties go to the lower rank, as a full scan's
      return best;
    }
    for (uint32_t i : moved_) {
      int64_t s = ranks[i].sequences;
      if (s < 0 || s >= cap_) continue;
      auto& b = buckets_[static_cast<size_t>(s)];
      b.push_back(entry(ranks[i].kv_tokens, i));
      if (heaped_[static_cast<size_t>(s)]) std::push_heap(b.begin(), b.end(), std::greater<>{});
      lowest_ = std::min(lowest_, s);
      highest_ = std::max(highest_, s);
    }
    moved_.clear();
    for (int64_t s = lowest_; s <= highest_; ++s) {
      // Every score in this bucket and above exceeds its sequence term (the min-max adds a positive KV share).
      if (static_cast<double>(s + 1) * per_sequence >= best_score) break;
      auto& b = buckets_[static_cast<size_t>(s)];
      if (!heaped_[static_cast<size_t>(s)]) {
        std::make_heap(b.begin(), b.end(), std::greater<>{});
        heaped_[static_cast<size_t>(s)] = 1;
      }
      while (!b.empty()) {
        auto rank = static_cast<uint32_t>(b.front() & kRankMask);
        if (ranks[rank].sequences == s && entry(ranks[rank].kv_tokens, rank) == b.front()) break;
        std::pop_heap(b.begin(), b.end(), std::greater<>{});  // an entry its rank has left
        b.pop_back();
      }
      // The least KV: if it does not fit the HBM, no rank of the bucket does.
      if (!b.empty()) consider(static_cast<uint32_t>(b.front() & kRankMask));
    }
    return best;
  }

  // A request can leave between refreshes (one with nothing to decode is admitted and finished at once): it leaves
  // the totals as it came, and its rank goes back into the buckets at the next pick.
  void finish(size_t rank, const DecodeRequestView& q) override {
    sequences_ -= 1;
    kv_ -= static_cast<double>(q.kv_tokens);
    if (bucketed_) moved_.push_back(static_cast<uint32_t>(rank));
  }

  void admit(size_t rank, const DecodeRequestView& q) override {
    sequences_ += 1;
    kv_ += static_cast<double>(q.kv_tokens);
    if (bucketed_) moved_.push_back(static_cast<uint32_t>(rank));
  }

 private:
  static constexpr int kRankBits = 8;  // the KV's mantissa bits given to the rank
  static constexpr size_t kMaxBucketedRanks = size_t{1} << kRankBits;
  static constexpr uint64_t kRankMask = kMaxBucketedRanks - 1;
  /// (KV, rank) as one integer in their order (heaps keep the least on top with std::greater).
  static uint64_t entry(double kv, uint32_t rank) {
    auto bits = std::bit_cast<uint64_t>(kv);
    bits = (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);  // negative KV (rounding) below positive
    return (bits & ~kRankMask) | rank;
  }

  int64_t sequences_ = 0;
  double kv_ = 0;
  bool bucketed_ = false;
  int64_t cap_ = 0;
  int64_t lowest_ = 0;
  int64_t highest_ = -1;
  std::vector<std::vector<uint64_t>> buckets_;  // by sequence count, [lowest_, highest_] in use; min-heaps of entry()
  std::vector<uint8_t> heaped_;              // by sequence count: whether the bucket is a heap yet
  std::vector<uint32_t> moved_;              // ranks admitted to or left since the last pick
  std::vector<uint32_t> open_;               // unequal caps: the ranks below their cap
};

}  // namespace moesim::policy
