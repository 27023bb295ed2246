// One contract for every registered unit router (sim/policy/unit_router.h), run over each name in the registry: it
// picks a serving unit, and -1 only when none serves; it picks the same units for the same inputs. Then what the one
// built-in, least-loaded, does (the routing Fleet had before routers were policies).
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "sim/policy/unit_router.h"

using namespace moesim::policy;

namespace {

constexpr int kRequests = 300;

// Random fleets (some units not serving, sometimes none) and requests; returns the router's picks, each checked.
std::vector<int64_t> play(UnitRouter& router, size_t units, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> count(0, 5000);
  std::uniform_int_distribution<int> serving(0, 3);
  std::vector<PrefillUnitView> prefill(units);
  std::vector<DecodeUnitView> decode(units);
  std::vector<int64_t> picks;
  for (int i = 0; i < kRequests; ++i) {
    bool any_prefill = false;
    bool any_decode = false;
    for (size_t u = 0; u < units; ++u) {
      prefill[u] = {serving(gen) != 0, count(gen)};
      decode[u] = serving(gen) != 0 ? DecodeUnitView{true, count(gen), count(gen) / 10, count(gen)} : DecodeUnitView{};
      any_prefill = any_prefill || prefill[u].serving;
      any_decode = any_decode || decode[u].serving;
    }
    int64_t p = router.pick_prefill(prefill, {count(gen) + 1, 20000});
    REQUIRE(p < static_cast<int64_t>(units));
    REQUIRE((p >= 0) == any_prefill);
    if (p >= 0) REQUIRE(prefill[static_cast<size_t>(p)].serving);
    int64_t d = router.pick_decode(decode, {count(gen) + 1});
    REQUIRE(d < static_cast<int64_t>(units));
    REQUIRE((d >= 0) == any_decode);
    if (d >= 0) REQUIRE(decode[static_cast<size_t>(d)].serving);
    picks.push_back(p);
    picks.push_back(d);
  }
  return picks;
}

}  // namespace

TEST_CASE("unit routers: every registered one picks a serving unit, and none only when no unit serves") {
  const auto& registry = builtin_unit_routers();
  for (const auto& name : registry.names()) {
    for (size_t units : {1, 2, 5, 40}) {
      INFO(name << " with " << units << " units");
      auto router = registry.make(name, {.seed = 3});
      play(*router, units, 7);
    }
    INFO(name << " with no units at all");
    auto router = registry.make(name, {.seed = 3});
    CHECK(router->pick_prefill({}, {100, 100}) == -1);
    CHECK(router->pick_decode({}, {100}) == -1);
  }
}

TEST_CASE("unit routers: every registered one picks the same units for the same inputs") {
  const auto& registry = builtin_unit_routers();
  for (const auto& name : registry.names()) {
    INFO(name);
    auto a = registry.make(name, {.seed = 9});
    auto b = registry.make(name, {.seed = 9});
    CHECK(play(*a, 12, 23) == play(*b, 12, 23));
  }
}

TEST_CASE("unit router least-loaded: prefill to the fewest queued tokens, decode to the least load for its capacity") {
  auto router = builtin_unit_routers().make("least-loaded", {});
  std::vector<PrefillUnitView> prefill{{true, 900}, {false, 0}, {true, 300}, {true, 300}};
  CHECK(router->pick_prefill(prefill, {1000, 1000}) == 2);  // the not-serving unit's empty queue does not count
  // Decode: (active + waiting) / capacity: 1.0, 0.5 (not serving), 0.6, 0.4.
  std::vector<DecodeUnitView> decode{{true, 90, 10, 100}, {}, {true, 50, 10, 100}, {true, 300, 100, 1000}};
  CHECK(router->pick_decode(decode, {5000}) == 3);
  decode[3].active = 500;  // 0.6: a tie with unit 2, which is older
  CHECK(router->pick_decode(decode, {5000}) == 2);
}
