// The analytic screen (tools/study/screen.h) against what the simulation counts: node-time and cost over the horizon
// and the drain after it. The scenario is the sweep tests' tiny steady-small (a fixed fleet of one prefill and one
// decode unit, 60 simulated seconds): its drain is a large share of its run, so leaving it out shows plainly.
#include "tools/study/screen.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/scenario_file.h"
#include "sim/cluster/simulation.h"
#include "sim/cluster/wiring.h"

namespace {

moesim::cluster::Scenario tiny() {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/steady-small.json";
  auto doc = moesim::resolve_scenario(file, {"horizon_s=60", "experts.skew=\"uniform\"", "experts.eplb=\"none\""});
  return moesim::cluster::parse_scenario(doc, file);
}

}  // namespace

TEST_CASE("screen: the node-time and cost include the drain after the horizon, as the simulation's do") {
  using moesim::study::screen;
  auto s = tiny();
  auto demand = moesim::study::measure_demand(s);
  auto r = screen(s, demand);
  const double simulated_s = r.figure("simulated_s");
  CHECK(simulated_s > 60.0);
  const double nodes = 4.0 + 18.0;  // the fixed fleet, held through the drain
  CHECK(r.figure("nodes_avg") == Approx(nodes));
  const auto& prices = s.economics;
  CHECK(r.figure("cost_usd") ==
        Approx(nodes * simulated_s / 3600.0 * static_cast<double>(prices.gpus_per_node) * prices.usd_per_gpu_hour));
  // Without a drain (a run with --drain-s 0) the node-time ends at the horizon.
  auto cut = screen(s, demand, 0.0);
  CHECK(cut.figure("simulated_s") == 60.0);
  CHECK(cut.figure("cost_usd") == Approx(r.figure("cost_usd") * 60.0 / simulated_s));
  // The simulation's own end: the screen's drain is an estimate (the last hour's longest output, arriving at the
  // horizon), so the two agree only roughly; without the drain the screen would be short by all of it.
  auto report = moesim::cluster::run_scenario(s, {});
  INFO("simulated " << report.simulated_s << " s, screened " << simulated_s << " s");
  CHECK(report.simulated_s > 60.0);
  CHECK(simulated_s - 60.0 == Approx(report.simulated_s - 60.0).epsilon(0.5));
}
