// Decode balancer `oracle`: an informed baseline, not a deployable policy. It is told each request's output length
// (DecodeRequestView::output_tokens), which no real balancer knows, and balances what each rank has committed to:
// the KV its requests will hold when they finish (context + every output token still to come), beside the
// sequences and the KV held now, each over its mean after placing the request; the rank whose largest normalized
// term is smallest wins (the published balancer's min-max, with the future term added). Its gain over `published`
// bounds what knowing output lengths could buy a balancer of this kind.
//
//   DecodeOracle lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000, .output_tokens = 800});  lb.admit(rank, request);
#pragma once

#include <algorithm>
#include <vector>

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class DecodeOracle final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    if (committed_.size() != ranks.size()) committed_.resize(ranks.size(), 0.0);
    double n = static_cast<double>(ranks.size());
    double seqs = 1.0;
    double kv = static_cast<double>(q.kv_tokens);
    double fin = final_kv(q);
    for (size_t i = 0; i < ranks.size(); ++i) {
      seqs += static_cast<double>(ranks[i].sequences);
      kv += ranks[i].kv_tokens;
      fin += committed_[i];
    }
    double per_seq = 1.0 / std::max(seqs / n, 1.0);
    double per_kv = 1.0 / std::max(kv / n, 1.0);
    double per_fin = 1.0 / std::max(fin / n, 1.0);
    int64_t best = -1;
    double best_score = 0.0;
    for (size_t i = 0; i < ranks.size(); ++i) {
      if (!fits(ranks[i], q)) continue;
      double a = (static_cast<double>(ranks[i].sequences) + 1.0) * per_seq;
      double b = (ranks[i].kv_tokens + static_cast<double>(q.kv_tokens)) * per_kv;
      double c = (committed_[i] + final_kv(q)) * per_fin;
      double s = std::max({a, b, c}) + 1e-6 * (a + b + c);
      if (best < 0 || s < best_score) {
        best = static_cast<int64_t>(i);
        best_score = s;
      }
    }
    return best;
  }
  void admit(size_t rank, const DecodeRequestView& q) override {
    if (committed_.size() <= rank) committed_.resize(rank + 1, 0.0);
    committed_[rank] += final_kv(q);
  }
  void finish(size_t rank, const DecodeRequestView& q) override {
    if (rank < committed_.size()) committed_[rank] = std::max(0.0, committed_[rank] - final_kv(q));
  }

 private:
  static double final_kv(const DecodeRequestView& q) {
    return static_cast<double>(q.kv_tokens) + static_cast<double>(std::max<int64_t>(q.output_tokens - 1, 0));
  }

  std::vector<double> committed_;  // per rank: the KV its requests will hold when they finish
};

}  // namespace moesim::policy
