// The scans the rank balancers share: the rank minimizing a score, for prefill (any rank) and decode (ranks that fit
// the request only). Ties go to the lower index.
//
//   size_t rank = moesim::policy::argmin_rank(ranks, [](const PrefillRankView& r) { return r.queued_attention; });
//   int64_t fit = moesim::policy::argmin_fitting_rank(ranks, request, [](const DecodeRankView& r) { return r.kv_tokens;
//   });
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>

#include "sim/policy/rank_balancer.h"

namespace moesim::policy {

/// DeepSeek's published objectives put two loads, each normalized by its mean, on one scale: the larger of the two
/// wins (min-max), the sum breaking ties.
inline double min_max_score(double a, double b) { return std::max(a, b) + 1e-6 * (a + b); }

/// The rank minimizing `score` (a double); ranks is not empty.
template <typename Score>
size_t argmin_rank(std::span<const PrefillRankView> ranks, Score score) {
  size_t best = 0;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ranks.size(); ++i) {
    double s = score(ranks[i]);
    if (s < best_score) {
      best_score = s;
      best = i;
    }
  }
  return best;
}

/// The rank minimizing `score` among those that fit the request, or -1 when none does.
template <typename Score>
int64_t argmin_fitting_rank(std::span<const DecodeRankView> ranks, const DecodeRequestView& q, Score score) {
  int64_t best = -1;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ranks.size(); ++i) {
    if (!fits(ranks[i], q)) continue;
    double s = score(ranks[i]);
    if (s < best_score) {
      best_score = s;
      best = static_cast<int64_t>(i);
    }
  }
  return best;
}

}  // namespace moesim::policy
