#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "common/rng.h"
#include "sim/cluster/autoscaler_driver.h"
#include "sim/cluster/wiring.h"
#include "tests/cluster/fake_step_model.h"

using namespace moesim::cluster;
using namespace moesim::cluster::testing;

namespace {

// Arrivals whose rate steps from `high` to `low` per second at `switch_s`.
VectorSource stepped_source(double high, double low, double switch_s, double end_s) {
  VectorSource src;
  moesim::Rng rng(11);
  double t = 0;
  while (true) {
    t += rng.exponential(1.0 / (t < switch_s ? high : low));
    if (t >= end_s) break;
    PrefillRecord r;
    r.arrival_ns = static_cast<int64_t>(t * 1e9);
    r.input_tokens = 1000 + static_cast<int32_t>(rng.below(3000));
    r.cached_tokens = r.input_tokens / 2;
    r.output_tokens = 100 + static_cast<int32_t>(rng.below(600));
    src.requests.push_back(r);
  }
  return src;
}

Scenario scaled_scenario() {
  Scenario s;
  s.seed = 2;
  s.horizon_s = 1200;
  s.fleet.prefill = {.units = 1, .nodes_per_unit = 1, .redundant_experts = 0, .chunk_tokens = 8192};
  s.fleet.decode = {.units = 1, .nodes_per_unit = 1, .redundant_experts = 0};
  s.autoscaler.policy = "slo";
  s.autoscaler.interval_s = 30;
  s.autoscaler.startup_s = 60;
  resolve_geometry(s);
  return s;
}

// Keeps the fleet as it is and records what the controller observed at each decision.
class RecordingPolicy final : public moesim::policy::AutoscalerPolicy {
 public:
  moesim::policy::FleetTarget decide(const moesim::policy::FleetObservation& o) override {
    seen.push_back(o);
    return {o.prefill_units, o.decode_units};
  }
  std::vector<moesim::policy::FleetObservation> seen;
};

// Runs 40 requests/s for 10 minutes, then 2, under `params`' policy: the fleet grows, is smaller at the end than at
// its peak, and loses nothing.
void check_grows_and_shrinks(const Scenario& scenario, const moesim::policy::AutoscalerParams& params) {
  auto src = stepped_source(40, 2, 600, 1200);
  LinearStepModel model;
  model.decode_per_seq_s = 2e-3;  // about 30 sequences per rank at the SLO: one unit holds far less than the load
  EvenExperts experts;
  AutoscalerDriver driver(moesim::policy::make_autoscaler(params), scenario, model);
  Simulation sim(scenario, model, experts, experts, src, &driver);
  sim.signals().subscribe(&driver);
  auto s = sim.run();
  REQUIRE(s.conservation.requests_conserved);
  REQUIRE(s.conservation.requests_completed == static_cast<int64_t>(src.requests.size()));
  REQUIRE(s.nodes.peak > 2);  // it grew
  // Per-minute ledger: fewer nodes at the end than at the peak.
  const auto& minutes = sim.metrics().ledger().rows();
  REQUIRE(minutes.size() > 15);
  double last = minutes[18].prefill_node_s + minutes[18].decode_node_s;
  REQUIRE(last / 60.0 < static_cast<double>(s.nodes.peak));
}

}  // namespace

TEST_CASE("autoscaler: the controller observes the requests accepted per second at the fleet") {
  auto scenario = scaled_scenario();
  auto src = stepped_source(40, 2, 600, 1200);
  LinearStepModel model;
  EvenExperts experts;
  auto policy = std::make_unique<RecordingPolicy>();
  RecordingPolicy* recorder = policy.get();
  AutoscalerDriver driver(std::move(policy), scenario, model);
  Simulation sim(scenario, model, experts, experts, src, &driver);
  sim.signals().subscribe(&driver);
  sim.run();
  REQUIRE(recorder->seen.size() > 10);
  // Each decision's rate times its interval adds up to the requests that arrived before the last decision.
  double counted = 0.0;
  for (size_t i = 1; i < recorder->seen.size(); ++i) {
    counted += recorder->seen[i].arrivals_per_s * (recorder->seen[i].now_s - recorder->seen[i - 1].now_s);
  }
  double last_s = recorder->seen.back().now_s;
  auto arrived = std::count_if(src.requests.begin(), src.requests.end(), [&](const PrefillRecord& r) {
    return static_cast<double>(r.arrival_ns) <= last_s * 1e9;
  });
  CHECK(counted == Approx(static_cast<double>(arrived)).margin(0.5));
}

TEST_CASE("autoscaler: the SLO-driven policy grows the fleet under load, shrinks it after, and loses nothing") {
  moesim::policy::AutoscalerParams params;
  params.config.policy = "slo";
  check_grows_and_shrinks(scaled_scenario(), params);
}

TEST_CASE("autoscaler: the steady policy grows the fleet under a lasting load, shrinks it after, and loses nothing") {
  auto scenario = scaled_scenario();
  scenario.autoscaler.warmup_s = 0;  // no warm-up: every decision is steady's own
  scenario.autoscaler.persist_s = 60;
  moesim::policy::AutoscalerParams params;
  params.config = scenario.autoscaler;
  params.config.policy = "steady";
  check_grows_and_shrinks(scenario, params);
}

TEST_CASE("autoscaler: the fixed policy imposes the schedule's node count") {
  auto scenario = scaled_scenario();
  scenario.fleet.prefill.nodes_per_unit = 4;
  scenario.fleet.decode.nodes_per_unit = 18;
  scenario.fleet.decode.redundant_experts = 32;  // 288 slots on 144 GPUs
  resolve_geometry(scenario);
  auto src = stepped_source(5, 5, 600, 1200);
  LinearStepModel model;
  EvenExperts experts;
  moesim::policy::AutoscalerParams params;
  params.config.policy = "fixed";
  params.schedule = {{0.0, 60}, {600.0, 30}};
  AutoscalerDriver driver(moesim::policy::make_autoscaler(params), scenario, model);
  Simulation sim(scenario, model, experts, experts, src, &driver);
  sim.signals().subscribe(&driver);
  auto s = sim.run();
  REQUIRE(s.conservation.requests_conserved);
  auto t60 = moesim::policy::split_nodes(60, 0.6, 4, 18);
  REQUIRE(t60.decode_units == 2);
  REQUIRE(t60.prefill_units == 6);
  REQUIRE(s.nodes.peak == 60);
}

TEST_CASE("autoscaler: a fixed-schedule scenario without a schedule is refused before the run, naming the field") {
  Scenario s = scaled_scenario();
  s.autoscaler.policy = "fixed";
  // Units that hold DeepSeek-V3's weights (one-node units do not: the memory check would answer first).
  s.fleet.prefill.nodes_per_unit = 4;
  s.fleet.decode.nodes_per_unit = 18;
  s.fleet.prefill.redundant_experts = s.fleet.decode.redundant_experts = 32;
  resolve_geometry(s);
  REQUIRE_THROWS_WITH(build_run_parts(s), Catch::Contains("autoscaler.schedule"));
}
