// Runs whose prefill and decode pools are of different hardware kinds (fleet.prefill.hardware,
// fleet.decode.hardware): the cost of each pool at its own kind's GPUs per node and price, and a scenario that names
// its one kind for both pools unchanged. The scenario: a fixed fleet of one prefill and one decode unit for 60
// simulated seconds of constant arrivals, experts balanced (fast).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/scenario_file.h"
#include "sim/cluster/simulation.h"
#include "sim/cluster/wiring.h"
#include "sim/observe/run_report.h"

using namespace moesim::cluster;

namespace {

Scenario small(const std::vector<std::string>& overrides) {
  auto doc = nlohmann::json::parse(R"({
    "name": "t", "hardware": "h800", "horizon_s": 60,
    "workload": {"kind": "constant", "rate_per_s": 10},
    "fleet": {"prefill": {"units": 1}, "decode": {"units": 1}},
    "experts": {"skew": "uniform", "eplb": "none"}
  })");
  for (const auto& o : overrides) moesim::apply_override(doc, o);
  return parse_scenario(doc, "t.json");
}

// The run's report and its hourly ledger.
std::pair<moesim::observe::RunReport, std::string> run(const Scenario& s) {
  std::string hourly;
  auto report = run_scenario(s, {}, [&](const Simulation& sim, const moesim::observe::RunReport&, double) {
    hourly = sim.metrics().ledger().csv(false);
  });
  return {report, hourly};
}

// The first row's value of `column` in a ledger's CSV.
double hourly_column(const std::string& csv, const std::string& column) {
  auto cells = [](const std::string& line) {
    std::vector<std::string> out;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) out.push_back(cell);
    return out;
  };
  std::stringstream lines(csv);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  const auto names = cells(header);
  const auto values = cells(row);
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (names[i] == column) return std::stod(values[i]);
  }
  return -1;
}

}  // namespace

TEST_CASE("mixed hardware: a run's cost is each pool's node-time at its own kind's GPUs per node and price") {
  const Scenario s = small({"fleet.prefill.hardware=\"h200\"", "fleet.decode.hardware=\"gb200-nvl72\""});
  const auto [r, hourly] = run(s);
  const double prefill_node_h = r.nodes.prefill_avg * r.simulated_s / 3600.0;
  const double decode_node_h = r.nodes.decode_avg * r.simulated_s / 3600.0;
  CHECK(r.nodes.prefill_avg == Approx(4.0));  // 4 H200 nodes
  CHECK(r.nodes.decode_avg == Approx(18.0));  // 18 GB200 trays
  CHECK(r.economics.cost_usd == Approx(prefill_node_h * 8 * 4.0 + decode_node_h * 4 * 6.4));  // the specs' prices
  // The hourly ledger's cost column prices the same node-time the same way (the run is in its first hour).
  CHECK(hourly_column(hourly, "cost_usd") == Approx(r.economics.cost_usd).margin(0.01));
  // economics.usd_per_gpu_hour prices both kinds: the GPUs per node still differ.
  const Scenario priced = small({"fleet.prefill.hardware=\"h200\"", "fleet.decode.hardware=\"gb200-nvl72\"",
                                 "economics.usd_per_gpu_hour=1.0"});
  const auto [p, unused] = run(priced);
  CHECK(p.economics.cost_usd == Approx(p.nodes.prefill_avg * p.simulated_s / 3600.0 * 8 +
                                       p.nodes.decode_avg * p.simulated_s / 3600.0 * 4));
}

TEST_CASE("mixed hardware: naming the scenario's own kind for both pools changes no output") {
  const auto [plain, plain_hourly] = run(small({}));
  const auto [named, named_hourly] =
      run(small({"fleet.prefill.hardware=\"h800\"", "fleet.decode.hardware=\"h800\""}));
  CHECK(to_json(named).dump() == to_json(plain).dump());
  CHECK(named_hourly == plain_hourly);
}
