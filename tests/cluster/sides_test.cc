// The two sides meet only through the KV link: the decode side run alone, after the prefill side has run to its end
// and left everything in the link, gives the same outputs as the whole run with the sides interleaved. A fixed fleet
// (the autoscaler's ticks need both sides at one time): steady-small (constant arrivals, calibrated skew with EPLB
// re-plans on both sides) and the Azure conversation replay (a trace file, its own model names).
#include <catch2/catch.hpp>
#include <string>

#include "common/scenario_file.h"
#include "sim/cluster/simulation.h"
#include "sim/cluster/wiring.h"

namespace {

moesim::cluster::Scenario scenario(const std::string& name, const std::vector<std::string>& sets = {}) {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/" + name + ".json";
  return moesim::cluster::parse_scenario(moesim::resolve_scenario(file, sets), file);
}

// The report of a run, whole or with its sides apart, with the per-minute and latency figures beside it.
std::string outputs(const moesim::cluster::Scenario& s, bool apart) {
  auto parts = moesim::cluster::build_run_parts(s);
  REQUIRE(parts.autoscaler == nullptr);
  moesim::cluster::Simulation sim(s, *parts.step_model, *parts.prefill_experts, *parts.decode_experts, *parts.source);
  auto report = apart ? sim.run_sides_apart() : sim.run();
  CHECK(report.complete);
  return moesim::observe::to_json(report).dump(1);
}

}  // namespace

TEST_CASE("sides: the decode side run alone against the recorded KV link gives the whole run's outputs") {
  for (const auto& [name, sets] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"steady-small", {"horizon_s=300"}}, {"azure-conv-replay", {"horizon_s=600"}}}) {
    INFO(name);
    auto s = scenario(name, sets);
    std::string whole = outputs(s, false);
    CHECK(whole.find("\"requests_completed\"") != std::string::npos);
    CHECK(outputs(s, true) == whole);
  }
}

TEST_CASE("sides: a run with an autoscaler cannot run its sides apart") {
  auto s = scenario("deepseek-day", {"horizon_s=60", "workload.scale=0.001"});
  auto parts = moesim::cluster::build_run_parts(s);
  REQUIRE(parts.autoscaler != nullptr);
  moesim::cluster::Simulation sim(s, *parts.step_model, *parts.prefill_experts, *parts.decode_experts, *parts.source,
                                  parts.autoscaler.get());
  CHECK_THROWS_AS(sim.run_sides_apart(), std::logic_error);
}
