#include <catch2/catch.hpp>

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

}  // namespace

TEST_CASE("autoscaler: the SLO-driven policy grows the fleet under load, shrinks it after, and loses nothing") {
  auto scenario = scaled_scenario();
  auto src = stepped_source(40, 2, 600, 1200);
  LinearStepModel model;
  model.decode_per_seq_s = 2e-3;  // about 30 sequences per rank at the SLO: one unit holds far less than the load
  EvenExperts experts;
  moesim::policy::AutoscalerParams params;
  params.config.policy = "slo";
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
