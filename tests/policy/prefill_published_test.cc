// The published prefill balancer keeps the unit's queued totals through admit and progress: its picks are those of
// the published objective on totals summed afresh from the views.
#include "sim/policy/prefill_published.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

using namespace moesim::policy;

namespace {

// The published objective with the totals summed from the views at every pick (the balancer before it kept them).
size_t reference_pick(const std::vector<PrefillRankView>& ranks, const PrefillRequestView& q) {
  double tokens = static_cast<double>(q.new_tokens);
  double pairs = q.attention();
  for (const auto& r : ranks) {
    tokens += static_cast<double>(r.queued_tokens);
    pairs += r.queued_attention;
  }
  double n = static_cast<double>(ranks.size());
  double per_token = 1.0 / std::max(tokens / n, 1.0);
  double per_pair = 1.0 / std::max(pairs / n, 1.0);
  return argmin_rank(std::span<const PrefillRankView>(ranks), [&](const PrefillRankView& r) {
    return min_max_score((static_cast<double>(r.queued_tokens + q.new_tokens)) * per_token,
                         (r.queued_attention + q.attention()) * per_pair);
  });
}

}  // namespace

TEST_CASE("prefill published: with the work reported as it is computed, picks equal the objective on fresh totals") {
  constexpr size_t kRanks = 32;
  PrefillPublished lb;
  std::vector<PrefillRankView> views(kRanks);
  struct Queued {
    size_t rank;
    PrefillRequestView request;
    int64_t left;  // tokens not yet computed
  };
  std::vector<Queued> queued;
  std::mt19937_64 gen(9);
  std::uniform_int_distribution<int64_t> length(1, 4000);
  int matched = 0;
  for (int i = 0; i < 20'000; ++i) {
    // Inputs whose attention pairs are whole numbers below 2^53: every sum is exact, so the totals must match.
    int64_t fresh = length(gen);
    PrefillRequestView q{fresh, fresh + length(gen)};
    size_t rank = lb.pick(views, q);
    REQUIRE(rank == reference_pick(views, q));
    ++matched;
    lb.admit(rank, q);
    views[rank].queued_tokens += q.new_tokens;
    views[rank].queued_attention += q.attention();
    views[rank].queued_requests += 1;
    queued.push_back({rank, q, q.new_tokens});
    // A step computes the oldest request's remaining work on a random rank's queue front, in one chunk.
    if (gen() % 2 == 0) {
      auto it = queued.begin() + static_cast<std::ptrdiff_t>(gen() % queued.size());
      double pairs = it->request.attention();
      lb.progress(it->rank, it->left, pairs);
      views[it->rank].queued_tokens -= it->left;
      views[it->rank].queued_attention -= pairs;
      views[it->rank].queued_requests -= 1;
      lb.finish(it->rank, it->request);
      queued.erase(it);
    }
  }
  CHECK(matched == 20'000);
}
