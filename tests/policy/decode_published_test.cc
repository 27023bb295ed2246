// The published decode balancer scans only the ranks below their batch cap and keeps the unit's totals between
// refreshes; its picks must be those of the plain scan over every rank (the objective as DeepSeek states it).
#include "sim/policy/decode_published.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

using namespace moesim::policy;

namespace {

// The objective by a full scan: normalized by the means after placing the request, min-max, ties to the lower rank.
int64_t full_scan(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) {
  double seqs = 1.0;
  double kv = static_cast<double>(q.kv_tokens);
  for (const auto& r : ranks) {
    seqs += static_cast<double>(r.sequences);
    kv += r.kv_tokens;
  }
  double n = static_cast<double>(ranks.size());
  double mean_seqs = std::max(seqs / n, 1.0);
  double mean_kv = std::max(kv / n, 1.0);
  return argmin_fitting_rank(ranks, q, [&](const DecodeRankView& r) {
    return min_max_score(static_cast<double>(r.sequences + 1) / mean_seqs,
                         (r.kv_tokens + static_cast<double>(q.kv_tokens)) / mean_kv);
  });
}

}  // namespace

TEST_CASE("decode balancer published: its picks are the full scan's over steps of admissions and departures") {
  std::mt19937_64 gen(7);
  for (size_t ranks : {1, 8, 144}) {
    std::vector<DecodeRankView> views(ranks);
    for (auto& v : views) {
      v.max_sequences = 12;
      v.kv_capacity = 400000;
    }
    DecodePublished lb;
    int disagreements = 0;
    int picks = 0;
    for (int step = 0; step < 300; ++step) {
      // A step: some sequences leave, every rank's KV grows by its sequences (integer tokens: sums are exact, so
      // the totals kept between refreshes equal the scan's), the cap moves now and then.
      for (auto& v : views) {
        int64_t leave = std::uniform_int_distribution<int64_t>(0, v.sequences)(gen) / 4;
        v.sequences -= leave;
        v.kv_tokens = v.sequences == 0 ? 0 : v.kv_tokens * 0.75 + static_cast<double>(v.sequences);
        v.kv_tokens = std::floor(v.kv_tokens);
        if (step % 50 == 0) v.max_sequences = 8 + step % 7;
      }
      lb.begin_admissions(views);
      int arrivals = std::uniform_int_distribution<int>(0, 3 * static_cast<int>(ranks))(gen);
      for (int a = 0; a < arrivals; ++a) {
        DecodeRequestView q{std::uniform_int_distribution<int64_t>(10, 40000)(gen)};
        int64_t expected = full_scan(views, q);
        int64_t got = lb.pick(views, q);
        ++picks;
        disagreements += got != expected;
        if (got < 0) continue;
        lb.admit(static_cast<size_t>(got), q);
        views[static_cast<size_t>(got)].sequences += 1;
        views[static_cast<size_t>(got)].kv_tokens += static_cast<double>(q.kv_tokens);
      }
    }
    INFO(ranks << " ranks, " << picks << " picks");
    CHECK(disagreements == 0);
    CHECK(picks > 100);
  }
}
