// A run split over two threads (the prefill side on its own, Simulation) against the same run on one: the order of
// everything is the same, so every output is byte-identical. The scenario is the reference day thinned to 1 % and cut
// to its first hour: calibrated expert skew with EPLB re-plans, the autoscaler's warm-up ticks (units added and
// drained where both sides stand), rejections of over-long requests, and a drain after the horizon.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/scenario_file.h"
#include "sim/cluster/simulation.h"
#include "sim/cluster/wiring.h"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

moesim::cluster::Scenario thinned_hour() {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-day.json";
  auto doc = moesim::resolve_scenario(file, {"horizon_s=3600", "workload.scale=0.01"});
  return moesim::cluster::parse_scenario(doc, file);
}

}  // namespace

TEST_CASE("simulation: a run on two threads writes byte-identical outputs to the same run on one") {
  auto s = thinned_hour();
  fs::path base = fs::temp_directory_path() / ("moesim-threads-" + std::to_string(::getpid()));
  moesim::cluster::RunControl one;
  one.threads = 1;
  moesim::cluster::RunControl two;
  two.threads = 2;
  auto a = moesim::cluster::run_and_write(s, base / "one", one);
  auto b = moesim::cluster::run_and_write(s, base / "two", two);
  CHECK(a.complete);
  CHECK(a.conservation.requests_conserved);
  CHECK(a.events_executed == b.events_executed);
  CHECK(a.conservation.requests_in > 1000);
  for (const char* name : {"summary.json", "minutes.csv", "hourly.csv", "latency-cdf.csv"}) {
    INFO(name);
    CHECK(slurp(base / "one" / name) == slurp(base / "two" / name));
  }
  fs::remove_all(base);
}

TEST_CASE("simulation: a stop at a window's end is the same on one thread and two") {
  auto s = thinned_hour();
  moesim::cluster::RunControl one;
  one.threads = 1;
  one.stop.max_events = 20000;
  moesim::cluster::RunControl two = one;
  two.threads = 2;
  auto a = moesim::cluster::run_scenario(s, one);
  auto b = moesim::cluster::run_scenario(s, two);
  CHECK_FALSE(a.complete);
  CHECK(a.events_executed >= 20000);
  CHECK(a.stop_reason == b.stop_reason);
  CHECK(a.events_executed == b.events_executed);
  CHECK(a.simulated_s == b.simulated_s);
  CHECK(static_cast<int64_t>(a.simulated_s * 1e9) % moesim::cluster::Simulation::kWindowNs == 0);
  CHECK(a.conservation.requests_conserved);
}
