// One contract for every registered rank balancer (sim/policy/rank_balancer.h), run over each name in the
// registries, on views that evolve as the units evolve them (admitted requests add to their rank, finished ones
// leave it): a prefill balancer always picks a rank of the unit; a decode balancer picks only a rank that fits the
// request (batch cap and HBM) and one whenever any does; both pick the same ranks for the same inputs.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "sim/policy/rank_balancer.h"

using namespace moesim::policy;

namespace {

constexpr int kRequests = 400;

struct Placed {
  size_t rank;
  PrefillRequestView request;
};

// Plays `kRequests` arrivals against a prefill balancer: each is picked, admitted and added to its rank's view;
// now and then an earlier one finishes and leaves. Returns the picks (checked valid on the way).
std::vector<size_t> play_prefill(PrefillBalancer& lb, size_t ranks, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> tokens(1, 20000);
  std::uniform_int_distribution<int> coin(0, 2);
  std::vector<PrefillRankView> views(ranks);
  std::vector<Placed> placed;
  std::vector<size_t> picks;
  for (int i = 0; i < kRequests; ++i) {
    int64_t fresh = tokens(gen);
    PrefillRequestView q{fresh, fresh + tokens(gen) / 2};
    size_t rank = lb.pick(views, q);
    REQUIRE(rank < ranks);
    picks.push_back(rank);
    lb.admit(rank, q);
    views[rank].queued_tokens += q.new_tokens;
    views[rank].queued_attention += q.attention();
    views[rank].queued_requests += 1;
    placed.push_back({rank, q});
    if (coin(gen) == 0) {
      size_t k = std::uniform_int_distribution<size_t>(0, placed.size() - 1)(gen);
      Placed p = placed[k];
      placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(k));
      lb.progress(p.rank, p.request.new_tokens, p.request.attention());  // computed in one step, then it leaves
      lb.finish(p.rank, p.request);
      views[p.rank].queued_tokens -= p.request.new_tokens;
      views[p.rank].queued_attention -= p.request.attention();
      views[p.rank].queued_requests -= 1;
    }
  }
  return picks;
}

struct DecodePlaced {
  size_t rank;
  DecodeRequestView request;
};

// As play_prefill for a decode balancer, on ranks with small batch caps and HBM so that some fill up; some ranks
// are full from the start. Returns the picks (-1 when it waits), checked against the capacity on the way.
std::vector<int64_t> play_decode(DecodeBalancer& lb, size_t ranks, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> kv(100, 60000);
  std::uniform_int_distribution<int64_t> out(1, 8000);
  std::uniform_int_distribution<int> coin(0, 2);
  std::vector<DecodeRankView> views(ranks);
  for (size_t i = 0; i < ranks; ++i) {
    views[i].max_sequences = static_cast<int64_t>(1 + i % 4);
    views[i].kv_capacity = 100000.0 + 20000.0 * static_cast<double>(i % 3);
    if (i % 5 == 4) views[i].sequences = views[i].max_sequences;  // full from the start
  }
  std::vector<DecodePlaced> placed;
  std::vector<int64_t> picks;
  lb.begin_admissions(views);
  for (int i = 0; i < kRequests; ++i) {
    DecodeRequestView q{kv(gen), out(gen)};
    int64_t rank = lb.pick(views, q);
    bool any_fits = false;
    for (const auto& v : views) any_fits = any_fits || fits(v, q);
    REQUIRE(rank >= -1);
    REQUIRE(rank < static_cast<int64_t>(ranks));
    REQUIRE((rank >= 0) == any_fits);
    picks.push_back(rank);
    if (rank >= 0) {
      auto r = static_cast<size_t>(rank);
      REQUIRE(fits(views[r], q));
      lb.admit(r, q);
      views[r].sequences += 1;
      views[r].kv_tokens += static_cast<double>(q.kv_tokens);
      placed.push_back({r, q});
    }
    if (!placed.empty() && coin(gen) != 0) {
      size_t k = std::uniform_int_distribution<size_t>(0, placed.size() - 1)(gen);
      DecodePlaced p = placed[k];
      placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(k));
      lb.finish(p.rank, p.request);
      views[p.rank].sequences -= 1;
      views[p.rank].kv_tokens -= static_cast<double>(p.request.kv_tokens);
      lb.begin_admissions(views);  // a change other than an admission: the views are refreshed
    }
  }
  return picks;
}

}  // namespace

TEST_CASE("prefill balancers: every registered one always picks a rank of the unit, with one rank or many") {
  const auto& registry = builtin_prefill_balancers();
  for (const auto& name : registry.names()) {
    for (size_t ranks : {1, 2, 7, 32}) {
      INFO(name << " with " << ranks << " ranks");
      auto lb = registry.make(name, {.seed = 3, .unit = 1, .ranks = static_cast<int64_t>(ranks)});
      auto picks = play_prefill(*lb, ranks, 11);
      if (ranks == 1) CHECK(picks == std::vector<size_t>(kRequests, 0));
    }
  }
}

TEST_CASE("prefill balancers: every registered one picks the same ranks for the same inputs") {
  const auto& registry = builtin_prefill_balancers();
  for (const auto& name : registry.names()) {
    INFO(name);
    RankBalancerContext context{.seed = 5, .unit = 2, .ranks = 32};
    auto a = registry.make(name, context);
    auto b = registry.make(name, context);
    CHECK(play_prefill(*a, 32, 17) == play_prefill(*b, 32, 17));
  }
}

TEST_CASE("decode balancers: every registered one picks only a rank that fits, and one whenever any does") {
  const auto& registry = builtin_decode_balancers();
  for (const auto& name : registry.names()) {
    for (size_t ranks : {1, 2, 9, 144}) {
      INFO(name << " with " << ranks << " ranks");
      auto lb = registry.make(name, {.seed = 3, .unit = 1, .ranks = static_cast<int64_t>(ranks)});
      play_decode(*lb, ranks, 13);
    }
  }
}

TEST_CASE("decode balancers: every registered one picks the same ranks for the same inputs") {
  const auto& registry = builtin_decode_balancers();
  for (const auto& name : registry.names()) {
    INFO(name);
    RankBalancerContext context{.seed = 5, .unit = 2, .ranks = 144};
    auto a = registry.make(name, context);
    auto b = registry.make(name, context);
    CHECK(play_decode(*a, 144, 19) == play_decode(*b, 144, 19));
  }
}
