// One contract for every registered autoscaler policy (sim/policy/autoscaler.h), run over each name in the registry
// on random observations: it keeps at least one unit of each kind; it stays within the pool limit (max_nodes) when
// the fleet it observes and the schedule it is given fit in it (`fixed` imposes its schedule as given and does not
// cut it); it decides the same for the same observations. Then what the `none` and `fixed` policies promise.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "common/error.h"
#include "sim/policy/autoscaler.h"

using namespace moesim::policy;

namespace {

constexpr int kDecisions = 300;
constexpr int64_t kPrefillNodes = 4;
constexpr int64_t kDecodeNodes = 18;

AutoscalerParams params_for(const std::string& name, int64_t max_nodes) {
  AutoscalerParams p;
  p.config.policy = name;
  p.config.max_nodes = max_nodes;
  p.schedule = {{0.0, 100}, {3600.0, 200}, {7200.0, 60}};  // within every pool limit below
  return p;
}

int64_t nodes_of(int64_t prefill_units, int64_t decode_units) {
  return prefill_units * kPrefillNodes + decode_units * kDecodeNodes;
}

// Random observations of a fleet that fits in `max_nodes` (when set); returns the targets, each checked.
std::vector<std::pair<int64_t, int64_t>> play(AutoscalerPolicy& policy, int64_t max_nodes, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::pair<int64_t, int64_t>> targets;
  for (int i = 0; i < kDecisions; ++i) {
    FleetObservation o;
    o.now_s = 36.0 * i;
    o.prefill_nodes_per_unit = kPrefillNodes;
    o.decode_nodes_per_unit = kDecodeNodes;
    do {
      o.prefill_units = 1 + static_cast<int64_t>(unit(gen) * 30);
      o.decode_units = 1 + static_cast<int64_t>(unit(gen) * 12);
    } while (max_nodes > 0 && nodes_of(o.prefill_units, o.decode_units) > max_nodes);
    o.prefill_capacity_per_unit = 1e5 + 1e6 * unit(gen);
    o.prefill_offered_tokens_per_s = 5e7 * unit(gen) * unit(gen);
    o.prefill_queued_tokens = static_cast<int64_t>(1e9 * unit(gen) * unit(gen) * unit(gen));
    o.decode_capacity_per_unit = static_cast<int64_t>(unit(gen) * 3000);
    o.decode_offered_per_s = 500 * unit(gen);
    o.decode_hold_s = unit(gen) < 0.2 ? 0.0 : 100 * unit(gen);
    o.decode_active = static_cast<int64_t>(30000 * unit(gen));
    o.decode_waiting = static_cast<int64_t>(10000 * unit(gen) * unit(gen));
    FleetTarget t = policy.decide(o);
    REQUIRE(t.prefill_units >= 1);
    REQUIRE(t.decode_units >= 1);
    if (max_nodes > 0) REQUIRE(nodes_of(t.prefill_units, t.decode_units) <= max_nodes);
    targets.emplace_back(t.prefill_units, t.decode_units);
  }
  return targets;
}

}  // namespace

TEST_CASE("autoscalers: every registered one keeps at least one unit of each kind, within the pool limit") {
  const auto& registry = builtin_autoscalers();
  for (const auto& name : registry.names()) {
    for (int64_t max_nodes : {0, 250, 1000}) {
      INFO(name << " with max_nodes " << max_nodes);
      auto policy = registry.make(name, params_for(name, max_nodes));
      play(*policy, max_nodes, 5);
    }
  }
}

TEST_CASE("autoscalers: every registered one decides the same for the same observations") {
  const auto& registry = builtin_autoscalers();
  for (const auto& name : registry.names()) {
    INFO(name);
    auto a = registry.make(name, params_for(name, 400));
    auto b = registry.make(name, params_for(name, 400));
    CHECK(play(*a, 400, 29) == play(*b, 400, 29));
  }
}

TEST_CASE("autoscaler none: the fleet stays as it is, and the run needs no controller for it") {
  auto none = builtin_autoscalers().make("none", params_for("none", 0));
  CHECK(none->static_fleet());
  FleetObservation o;
  o.prefill_units = 3;
  o.decode_units = 2;
  o.decode_waiting = 100000;  // however loaded
  FleetTarget t = none->decide(o);
  CHECK(t.prefill_units == 3);
  CHECK(t.decode_units == 2);
  CHECK_FALSE(builtin_autoscalers().make("slo", params_for("slo", 0))->static_fleet());
  CHECK_FALSE(builtin_autoscalers().make("fixed", params_for("fixed", 0))->static_fleet());
}

TEST_CASE("autoscaler fixed: follows its schedule, and refuses to be built without one") {
  auto fixed = builtin_autoscalers().make("fixed", params_for("fixed", 0));
  FleetObservation o;
  o.now_s = 4000.0;  // the 200-node step: 0.6 of it in 18-node decode units (7), the rest in 4-node prefill units
  FleetTarget t = fixed->decide(o);
  CHECK(t.decode_units == 7);
  CHECK(t.prefill_units == (200 - 7 * 18) / 4);
  AutoscalerParams no_schedule;
  no_schedule.config.policy = "fixed";
  CHECK_THROWS_AS(make_autoscaler(no_schedule), moesim::InputError);
}
