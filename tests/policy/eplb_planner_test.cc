// The periodic planner: re-plans at multiples of the interval from the loads inside the moving window.
#include "sim/policy/eplb_planner.h"

#include <catch2/catch.hpp>

using moesim::policy::EplbPlanner;
using moesim::policy::EplbPlannerConfig;

namespace {

constexpr int64_t kMinute = 60'000'000'000;
const moesim::policy::EplbShape kShape{.num_replicas = 16, .num_groups = 4, .num_nodes = 2, .num_gpus = 8};

std::vector<std::vector<double>> hot(int expert, double load = 100) {
  std::vector<std::vector<double>> w(1, std::vector<double>(12, 1.0));
  w[0][expert] = load;
  return w;
}

EplbPlanner make_planner(const char* policy = "global") {
  return EplbPlanner(moesim::policy::builtin_expert_balancers().make(policy), kShape, 1, 12,
                     EplbPlannerConfig{.interval_ns = 10 * kMinute, .window_ns = 10 * kMinute, .buckets = 10});
}

}  // namespace

TEST_CASE("eplb planner: re-plans at multiples of the interval, from the observed loads") {
  EplbPlanner planner = make_planner();
  auto initial = planner.placement();
  CHECK(initial.logcnt(0)[0] == 2);  // uniform start: ties give the redundant slots to the lowest ids
  planner.observe(1 * kMinute, hot(7));
  CHECK_FALSE(planner.maybe_replan(9 * kMinute));
  CHECK(planner.placement().phy2log == initial.phy2log);
  CHECK(planner.maybe_replan(10 * kMinute));
  CHECK(planner.placement().logcnt(0)[7] == 5);  // 100 / 5 = 20 > 1: the hot expert takes every redundant slot
  CHECK(planner.next_replan_ns() == 20 * kMinute);
  CHECK(planner.replans() == 1);
}

TEST_CASE("eplb planner: loads older than the window no longer count") {
  EplbPlanner planner = make_planner();
  planner.observe(0, hot(3));
  planner.observe(15 * kMinute, hot(9));
  auto window = planner.window_loads(15 * kMinute);
  CHECK(window[0][3] == 1.0);  // the hot-3 observation left the window; the hot-9 one is in it
  CHECK(window[0][9] == 100.0);
  CHECK(planner.maybe_replan(20 * kMinute));
  CHECK(planner.placement().logcnt(0)[9] == 5);
  CHECK(planner.placement().logcnt(0)[3] == 1);
}

TEST_CASE("eplb planner: an empty window keeps the placement, and time may not go backward") {
  EplbPlanner planner = make_planner();
  auto initial = planner.placement();
  CHECK_FALSE(planner.maybe_replan(10 * kMinute));
  CHECK(planner.placement().phy2log == initial.phy2log);
  CHECK(planner.next_replan_ns() == 20 * kMinute);
  planner.observe(12 * kMinute, hot(1));
  CHECK_THROWS_AS(planner.observe(11 * kMinute, hot(1)), std::invalid_argument);
}

TEST_CASE("eplb planner: a late call re-plans once and schedules the next multiple of the interval") {
  EplbPlanner planner = make_planner("none");
  planner.observe(30 * kMinute, hot(2));
  CHECK(planner.maybe_replan(35 * kMinute));
  CHECK(planner.next_replan_ns() == 40 * kMinute);
  CHECK_FALSE(planner.maybe_replan(36 * kMinute));
}
