// End-to-end tests of `moesim compare`: an unchanged variant gives zero differences with zero-width intervals; one
// seed gives differences and says no interval is possible; the outputs do not depend on the thread count or on
// running under mpirun; --independent-streams gives each variant its own draws; round-robin decode balancing is found
// worse than the published balancer on decode step time, with an interval excluding zero, from 4 seeds; bad variants
// are refused before any run (exit 2). Every run here is a short steady-small (tens of simulated seconds).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/command.h"

namespace {

namespace fs = std::filesystem;

const std::string kTiny = moesim::test::tiny_scenario_args();
using moesim::test::fresh_dir;

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

const nlohmann::json& row(const nlohmann::json& doc, const std::string& variant, const std::string& metric) {
  for (const auto& r : doc["rows"]) {
    if (r["variant"] == variant && r["metric"] == metric) return r;
  }
  FAIL("no row " << variant << " x " << metric);
  return doc;
}

// Runs `moesim compare` on the tiny scenario with `args`, writing to `out`; the run must succeed.
std::string compare_ok(const std::string& args, const fs::path& out) {
  auto r = moesim::test::run_moesim("compare " + kTiny + " " + args + " --out " + out.string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

}  // namespace

TEST_CASE("moesim compare: an unchanged variant gives zero differences and zero-width intervals") {
  auto dir = fresh_dir("moesim-compare-same");
  auto output = compare_ok("--variant same:fleet.decode.balancer=published --seeds 2 --threads 2", dir / "out");
  CHECK(output.find("moesim compare steady-small: started\n") != std::string::npos);
  CHECK(output.find("moesim compare steady-small: done in ") != std::string::npos);
  CHECK(output.find("Holm's step-down correction across the 15 figures") != std::string::npos);
  auto doc = read_json(dir / "out/compare.json");
  REQUIRE(doc["rows"].size() == 15);
  for (const auto& x : doc["rows"]) {
    INFO(x.dump());
    CHECK(x["difference"] == 0.0);
    CHECK(x["ci_low"] == 0.0);
    CHECK(x["ci_high"] == 0.0);
    CHECK(x["verdict"] == "no detectable difference");
  }
  CHECK(doc["streams"] == "common");
  CHECK(slurp(dir / "out/compare.csv").rfind("variant,metric,better,seeds,baseline_mean,variant_mean,difference,", 0) ==
        0);
  // compare.png is drawn when python3 with matplotlib is there (the comparison stands without it).
  if (output.find("no compare.png") == std::string::npos) CHECK(fs::exists(dir / "out/compare.png"));
}

TEST_CASE("moesim compare: one seed gives differences and says no interval is possible") {
  auto dir = fresh_dir("moesim-compare-one");
  auto output = compare_ok("--variant rr:fleet.decode.balancer=round-robin --seeds 1 --no-plot", dir / "out");
  CHECK(output.find("no interval is possible") != std::string::npos);
  auto doc = read_json(dir / "out/compare.json");
  CHECK(row(doc, "rr", "ttft_p50_s")["ci_low"].is_null());
  CHECK(row(doc, "rr", "ttft_p50_s")["verdict"] == "no interval (one seed)");
}

TEST_CASE("moesim compare: the outputs do not depend on the thread count, and independent streams draw anew") {
  auto dir = fresh_dir("moesim-compare-threads");
  const std::string args = "--variant same:fleet.decode.balancer=published --seeds 2 --no-plot";
  compare_ok(args + " --threads 1", dir / "one");
  compare_ok(args + " --threads 2", dir / "two");
  CHECK(slurp(dir / "one/compare.json") == slurp(dir / "two/compare.json"));
  CHECK(slurp(dir / "one/compare.csv") == slurp(dir / "two/compare.csv"));
  compare_ok(args + " --threads 2 --independent-streams", dir / "apart");
  auto doc = read_json(dir / "apart/compare.json");
  CHECK(doc["streams"] == "independent");
  CHECK(row(doc, "same", "ttft_p50_s")["difference"] != 0.0);  // other arrivals, other results
}

TEST_CASE("moesim compare: under mpirun -n 2 the outputs equal those of one process") {
  if (moesim::test::run_shell("command -v mpirun >/dev/null 2>&1").status != 0) {
    WARN("mpirun is not installed (openmpi-bin): the MPI comparison is not tested");
    return;
  }
  auto dir = fresh_dir("moesim-compare-mpi");
  const std::string args = "--variant rr:fleet.decode.balancer=round-robin --seeds 2 --no-plot --threads 1";
  compare_ok(args, dir / "alone");
  std::string root = geteuid() == 0 ? " --allow-run-as-root" : "";
  // As in the sweep's MPI test: Open MPI's own allocations are left to the single-process leak checks.
  auto mpi =
      moesim::test::run_shell("LSAN_OPTIONS=detect_leaks=0 mpirun -n 2 --oversubscribe" + root + " " + MOESIM_BINARY +
                              " compare " + kTiny + " " + args + " --out " + (dir / "mpi").string() + " 2>&1");
  INFO(mpi.output);
  REQUIRE(mpi.status == 0);
  CHECK(slurp(dir / "alone/compare.json") == slurp(dir / "mpi/compare.json"));
}

TEST_CASE("moesim compare: round-robin decode balancing is worse than published on decode step time") {
  // Uneven output lengths (the day's mixture: lognormal, R1 answers four times longer than V3's) on a loaded decode
  // unit of 4 nodes; round-robin ignores how much KV each rank holds, so the busiest rank, which sets the step,
  // holds more. Steps are counted up to the horizon only (--drain-s 0): in the drain a few long answers decode on
  // an emptying unit, whatever the balancer did, and those steps would dilute the difference.
  auto dir = fresh_dir("moesim-compare-rr");
  compare_ok(
      "--set horizon_s=60 --set fleet.decode.nodes_per_unit=4 --drain-s 0 --seeds 4 --threads 2 --no-plot"
      " --variant rr:fleet.decode.balancer=round-robin",
      dir / "out");
  auto doc = read_json(dir / "out/compare.json");
  const auto& step = row(doc, "rr", "decode_step_mean_s");
  INFO(step.dump());
  CHECK(step["verdict"] == "worse");
  CHECK(step["ci_low"].get<double>() > 0.0);
}

TEST_CASE("moesim compare: bad variants are refused before any run, exit 2, naming the variant") {
  auto dir = fresh_dir("moesim-compare-bad");
  const std::string out = " --out " + (dir / "out").string();
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"--variant x:fleet.decode.balancr=round-robin", "--variant x: "},
           {"--variant x:experts.replan_interval_s=soon", "--variant x: "},
           {"--variant x:fleet.decode.balancer=fastest", "expected one of round-robin"},
           {"--variant a:fleet.decode.balancer=round-robin --variant a:fleet.decode.balancer=least-kv",
            "--variant a: the name is given twice"},
           {"--variant a:fleet.decode.balancer=round-robin --seeds 0", "--seeds 0: a comparison needs 1 to 100000"},
           {"--variant rr", "--variant rr: expected NAME:key.path=value"},
       }) {
    auto r = moesim::test::run_moesim("compare " + kTiny + " " + c.args + out);
    INFO(c.args << "\n" << r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find(c.message) != std::string::npos);
    CHECK(r.output.find("started") == std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out"));
  }
}
