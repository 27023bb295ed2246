// End-to-end tests of `moesim sweep`: rows per candidate and seed in SQLite and CSV, rows independent of the thread
// and MPI rank count, bad grids and key paths refused before any run, a failing candidate kept as an error row.
// Every sweep here is a tiny steady-small (20 simulated seconds, even expert routing): well under a second a run.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/support/command.h"
#include "tests/support/sqlite_rows.h"

namespace {

namespace fs = std::filesystem;

const std::string kTiny = moesim::test::tiny_scenario_args();
using moesim::test::fresh_dir;

fs::path write_grid(const fs::path& dir, const std::string& text) {
  std::ofstream(dir / "grid.json") << text;
  return dir / "grid.json";
}

moesim::test::CommandResult sweep(const fs::path& grid, const fs::path& out, const std::string& extra = "") {
  return moesim::test::run_moesim("sweep " + kTiny + " --grid " + grid.string() + " --out " + out.string() + " " +
                                  extra);
}

// The rows of a results.sqlite in (candidate, seed) order, without the wall time (the one column that may differ).
std::vector<moesim::test::SqlRow> rows_without_wall_time(const fs::path& out) {
  auto rows = moesim::test::sqlite_rows(out / "results.sqlite", "SELECT * FROM runs ORDER BY candidate, seed");
  for (auto& r : rows) r.erase("wall_s");
  return rows;
}

const char* kTwoRates = R"({"workload.rate_per_s": [20, 40], "fleet.decode.balancer": ["published"]})";

}  // namespace

TEST_CASE("moesim sweep: one row per candidate and seed, with the grid's columns, in SQLite and CSV") {
  auto dir = fresh_dir("moesim-sweep-rows");
  auto r = sweep(write_grid(dir, kTwoRates), dir / "out", "--seeds 2 --threads 2");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("moesim sweep steady-small: started\n") != std::string::npos);
  CHECK(r.output.find("moesim sweep steady-small: done in ") != std::string::npos);
  CHECK(r.output.find("2 candidates x 2 seeds = 4 runs") != std::string::npos);
  auto rows = rows_without_wall_time(dir / "out");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].at("candidate") == "0");
  CHECK(rows[0].at("seed") == "1");  // the scenario's seed + 0, 1
  CHECK(rows[1].at("seed") == "2");
  CHECK(rows[0].at("workload.rate_per_s") == "20");
  CHECK(rows[2].at("workload.rate_per_s") == "40");
  CHECK(rows[3].at("fleet.decode.balancer") == "published");
  CHECK(rows[0].at("error") == "NULL");
  CHECK(rows[0].at("requests_conserved") == "1");
  CHECK(std::stoll(rows[2].at("requests_in")) > std::stoll(rows[0].at("requests_in")));
  CHECK(rows[0].at("requests_in") != rows[1].at("requests_in"));  // another seed, other draws
  auto scenario = nlohmann::json::parse(rows[3].at("scenario_json"));
  CHECK(scenario["seed"] == 2);
  CHECK(scenario["workload"]["rate_per_s"] == 40.0);
  CHECK(scenario["horizon_s"] == 20.0);
  auto view = moesim::test::sqlite_rows(dir / "out/results.sqlite", "SELECT * FROM by_candidate");
  REQUIRE(view.size() == 2);
  CHECK(view[1].at("workload.rate_per_s") == "40");
  CHECK(view[1].at("nodes_avg.n") == "2");
  // The CSV: a header and the same rows, in (candidate, seed) order.
  std::ifstream csv(dir / "out/results.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header.rfind("candidate,seed,workload.rate_per_s,fleet.decode.balancer,error,", 0) == 0);
  int lines = 0;
  for (std::string line; std::getline(csv, line);) {
    CHECK(line.rfind(std::to_string(lines / 2) + "," + std::to_string(lines % 2 + 1) + ",", 0) == 0);
    ++lines;
  }
  CHECK(lines == 4);
}

TEST_CASE("moesim sweep: the rows do not depend on the thread count") {
  auto dir = fresh_dir("moesim-sweep-threads");
  auto grid = write_grid(dir, kTwoRates);
  auto one = sweep(grid, dir / "one", "--seeds 2 --threads 1");
  INFO(one.output);
  REQUIRE(one.status == 0);
  auto two = sweep(grid, dir / "two", "--seeds 2 --threads 2");
  INFO(two.output);
  REQUIRE(two.status == 0);
  auto a = rows_without_wall_time(dir / "one");
  REQUIRE(a.size() == 4);
  CHECK(a == rows_without_wall_time(dir / "two"));
}

TEST_CASE("moesim sweep: under mpirun -n 2 the rows equal those of one process") {
  if (moesim::test::run_shell("command -v mpirun >/dev/null 2>&1").status != 0) {
    WARN("mpirun is not installed (openmpi-bin): the MPI sweep is not tested");
    return;
  }
  auto dir = fresh_dir("moesim-sweep-mpi");
  auto grid = write_grid(dir, kTwoRates);
  auto alone = sweep(grid, dir / "alone", "--seeds 2 --threads 2");
  INFO(alone.output);
  REQUIRE(alone.status == 0);
  std::string root = geteuid() == 0 ? " --allow-run-as-root" : "";
  // Open MPI leaks what MPI_Init allocates (its modules are unloaded before the leak check can name them): the
  // sanitizer build's leak check is left to the single-process tests. Other sanitizer checks stay on.
  auto mpi = moesim::test::run_shell("LSAN_OPTIONS=detect_leaks=0 mpirun -n 2 --oversubscribe" + root + " " +
                                     MOESIM_BINARY + " sweep " + kTiny + " --grid " + grid.string() + " --out " +
                                     (dir / "mpi").string() + " --seeds 2 --threads 1 2>&1");
  INFO(mpi.output);
  REQUIRE(mpi.status == 0);
  CHECK(mpi.output.find("4 runs on 2 rank(s) x 1 thread(s)") != std::string::npos);
  auto a = rows_without_wall_time(dir / "alone");
  REQUIRE(a.size() == 4);
  CHECK(a == rows_without_wall_time(dir / "mpi"));
}

TEST_CASE("moesim sweep: a candidate that fails when run is an error row, and the sweep goes on") {
  auto dir = fresh_dir("moesim-sweep-failing");
  auto grid = write_grid(dir, R"({"zip": [{"workload.kind": ["constant", "trace"],
                                           "workload.file": ["", "no-such-trace.jsonl"]}]})");
  auto r = sweep(grid, dir / "out", "--threads 2");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("1 failed") != std::string::npos);
  auto rows = rows_without_wall_time(dir / "out");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].at("error") == "NULL");
  CHECK(rows[0].at("workload.kind") == "constant");
  CHECK(rows[1].at("workload.kind") == "trace");
  CHECK(rows[1].at("error").find("no-such-trace.jsonl") != std::string::npos);
  CHECK(rows[1].at("nodes_avg") == "NULL");
  CHECK(std::stoll(rows[0].at("requests_in")) > 0);
}

TEST_CASE("moesim sweep: a bad grid or key path fails with exit status 2 before any run") {
  auto dir = fresh_dir("moesim-sweep-bad");
  struct Case {
    const char* grid;
    const char* message;
  };
  const Case cases[] = {
      {R"({"hardware": []})", "grid.json: hardware: expected a non-empty list of values"},
      {R"({"zip": [{"fleet.decode.nodes_per_unit": [9, 18], "fleet.decode.redundant_experts": [32]}]})",
       "grid.json: zip[0].fleet.decode.redundant_experts: expected 2 values"},
      // The strict scenario parser rejects the key path of the second candidate: nothing runs.
      {R"({"zip": [{"fleet.decode.nodes_per_unit": [18, 18], "fleet.decode.nodes_per_units": [1, 2]}]})",
       "grid.json: candidate 0 (fleet.decode.nodes_per_unit=18, fleet.decode.nodes_per_units=1): "},
      {R"({"fleet.decode.units": [1, -3]})", "grid.json: candidate 1 (fleet.decode.units=-3): "},
      {R"({"hardware": ["h800", "h999"]})", "unknown hardware \"h999\""},
      {R"({"hardware.gpu": [1]})",
       "grid.json: candidate 0 (hardware.gpu=1): --set hardware.gpu=1: hardware is not an object"},
  };
  for (const auto& c : cases) {
    INFO(c.grid);
    auto out = dir / "out";
    fs::remove_all(out);
    auto r = sweep(write_grid(dir, c.grid), out);
    INFO(r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find(c.message) != std::string::npos);
    CHECK(!fs::exists(out / "results.sqlite"));
  }
}

TEST_CASE("moesim sweep: --keep-runs writes each run's files beside the results") {
  auto dir = fresh_dir("moesim-sweep-keep");
  auto r = sweep(write_grid(dir, R"({"workload.rate_per_s": [20]})"), dir / "out", "--keep-runs --seeds 2");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(fs::exists(dir / "out/runs/c000-s01/summary.json"));
  CHECK(fs::exists(dir / "out/runs/c000-s02/resolved-scenario.json"));
  auto summary = nlohmann::json::parse(std::ifstream(dir / "out/runs/c000-s02/summary.json"));
  auto rows = rows_without_wall_time(dir / "out");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].at("requests_in") == std::to_string(summary["requests_in"].get<int64_t>()));
}

// The rows' wall times by (candidate, seed): a row kept from an earlier sweep keeps its wall time.
std::map<std::string, std::string> wall_times(const fs::path& out) {
  std::map<std::string, std::string> out_map;
  for (auto& r : moesim::test::sqlite_rows(out / "results.sqlite", "SELECT candidate, seed, wall_s FROM runs")) {
    out_map[r.at("candidate") + "/" + r.at("seed")] = r.at("wall_s");
  }
  return out_map;
}

TEST_CASE("moesim sweep: a rerun into the same folder keeps the finished rows and runs only the missing ones") {
  auto dir = fresh_dir("moesim-sweep-resume");
  // The interruption, made deterministic: a first sweep that ran only the grid's first candidate.
  auto first = sweep(write_grid(dir, R"({"workload.rate_per_s": [20], "fleet.decode.balancer": ["published"]})"),
                     dir / "out", "--seeds 2 --threads 2");
  INFO(first.output);
  REQUIRE(first.status == 0);
  auto before = wall_times(dir / "out");
  REQUIRE(before.size() == 2);
  auto grid = write_grid(dir, kTwoRates);
  auto rerun = sweep(grid, dir / "out", "--seeds 2 --threads 2");
  INFO(rerun.output);
  REQUIRE(rerun.status == 0);
  CHECK(rerun.output.find("2 of 4 runs already in " + (dir / "out/results.sqlite").string() + ": skipped\n") !=
        std::string::npos);
  CHECK(rerun.output.find("2 candidates x 2 seeds = 4 runs on 1 rank(s) x 2 thread(s); 2 skipped (already in "
                          "results.sqlite), 0 failed") != std::string::npos);
  auto after = wall_times(dir / "out");
  REQUIRE(after.size() == 4);
  CHECK(after.at("0/1") == before.at("0/1"));  // kept, not run again
  CHECK(after.at("0/2") == before.at("0/2"));
  // The rows are those of one uninterrupted sweep.
  auto whole = sweep(grid, dir / "whole", "--seeds 2 --threads 2");
  REQUIRE(whole.status == 0);
  CHECK(rows_without_wall_time(dir / "out") == rows_without_wall_time(dir / "whole"));
  // Nothing left to run; another scenario (a changed --set) runs again; --fresh starts afresh.
  auto again = sweep(grid, dir / "out", "--seeds 2 --threads 2");
  CHECK(again.output.find("4 of 4 runs already in") != std::string::npos);
  CHECK(wall_times(dir / "out") == after);
  auto changed = sweep(grid, dir / "out", "--seeds 2 --threads 2 --set horizon_s=10");
  INFO(changed.output);
  CHECK(changed.output.find("0 of 4 runs already in " + (dir / "out/results.sqlite").string() +
                            ": skipped; 4 run(s) of another scenario run again") != std::string::npos);
  auto fresh = sweep(grid, dir / "out", "--seeds 2 --threads 2 --fresh");
  REQUIRE(fresh.status == 0);
  CHECK(fresh.output.find("already in") == std::string::npos);
  CHECK(rows_without_wall_time(dir / "out") == rows_without_wall_time(dir / "whole"));
}

TEST_CASE("moesim sweep: a rerun runs the failed rows again and keeps the finished ones") {
  auto dir = fresh_dir("moesim-sweep-retry");
  auto trace = dir / "later.jsonl.gz";
  auto grid =
      write_grid(dir, R"({"zip": [{"workload.kind": ["constant", "trace"], "workload.format": ["native", "mooncake"],
                                           "workload.file": ["", ")" +
                          trace.string() + R"("]}]})");
  auto first = sweep(grid, dir / "out", "--threads 2");
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK(first.output.find("1 failed") != std::string::npos);
  auto before = wall_times(dir / "out");
  fs::copy_file(std::string(MOESIM_SOURCE_DIR) + "/traces/samples/mooncake_conversation_trace.jsonl.gz", trace);
  auto rerun = sweep(grid, dir / "out", "--threads 2");
  INFO(rerun.output);
  REQUIRE(rerun.status == 0);
  CHECK(rerun.output.find("1 of 2 runs already in " + (dir / "out/results.sqlite").string() +
                          ": skipped; 1 failed run(s) run again") != std::string::npos);
  CHECK(rerun.output.find("1 skipped (already in results.sqlite), 0 failed") != std::string::npos);
  auto rows = rows_without_wall_time(dir / "out");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].at("error") == "NULL");
  CHECK(std::stoll(rows[1].at("requests_in")) > 0);
  CHECK(wall_times(dir / "out").at("0/1") == before.at("0/1"));
}

TEST_CASE("moesim sweep: a folder holding another study's results is refused with exit status 2 unless --fresh") {
  auto dir = fresh_dir("moesim-sweep-other-study");
  REQUIRE(sweep(write_grid(dir, kTwoRates), dir / "out", "--threads 2").status == 0);
  auto other = write_grid(dir, R"({"workload.rate_per_s": [30]})");
  auto r = sweep(other, dir / "out", "--threads 2");
  INFO(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find("results.sqlite: holds the results of another study (its label columns: workload.rate_per_s, "
                      "fleet.decode.balancer; this study's: workload.rate_per_s): give another output folder, or "
                      "--fresh to replace them") != std::string::npos);
  CHECK(sweep(other, dir / "out", "--threads 2 --fresh").status == 0);
}

TEST_CASE("moesim plan: screens every candidate, simulates the best, answers with plan.json and a fidelity column") {
  auto dir = fresh_dir("moesim-plan-cli");
  std::ofstream(dir / "space.json") << R"({"grid": {"fleet.decode.units": [1, 2], "fleet.prefill.units": [1, 2]},
    "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  auto r = moesim::test::run_moesim("plan " + kTiny + " --space " + (dir / "space.json").string() + " --top-k 1 " +
                                    "--margin 0 --threads 2 --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("screened 4 candidates") != std::string::npos);
  auto plan = nlohmann::json::parse(std::ifstream(dir / "out" / "plan.json"));
  CHECK(plan["candidates_screened"] == 4);
  CHECK(plan["best"]["candidate"] == 0);  // one unit of each: the cheapest
  CHECK(plan["best"]["figures"]["cost_usd"].contains("screen"));
  CHECK(plan["best"]["figures"]["cost_usd"].contains("simulation"));
  auto rows = moesim::test::sqlite_rows(dir / "out" / "results.sqlite",
                                        "SELECT fidelity, count(*) AS n FROM runs GROUP BY fidelity ORDER BY fidelity");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].at("n") == "4");
}

TEST_CASE("moesim plan: a rerun into the same folder uses the simulations already there and answers the same") {
  auto dir = fresh_dir("moesim-plan-resume");
  std::ofstream(dir / "space.json") << R"({"grid": {"fleet.decode.units": [1, 2]},
    "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  const std::string command = "plan " + kTiny + " --space " + (dir / "space.json").string() +
                              " --top-k 1 --margin 0 --threads 2 --out " + (dir / "out").string();
  auto first = moesim::test::run_moesim(command);
  INFO(first.output);
  REQUIRE(first.status == 0);
  auto plan = nlohmann::json::parse(std::ifstream(dir / "out" / "plan.json"));
  auto rerun = moesim::test::run_moesim(command);
  INFO(rerun.output);
  REQUIRE(rerun.status == 0);
  CHECK(rerun.output.find("already in results.sqlite: skipped)") != std::string::npos);
  CHECK(rerun.output.find("runs already in " + (dir / "out/results.sqlite").string() + ": skipped (simulations)") !=
        std::string::npos);
  auto again = nlohmann::json::parse(std::ifstream(dir / "out" / "plan.json"));
  CHECK(again["best"] == plan["best"]);
}

TEST_CASE("moesim plan: with nothing feasible it exits 4 and names the nearest candidates") {
  auto dir = fresh_dir("moesim-plan-none");
  std::ofstream(dir / "space.json") << R"({"grid": {"fleet.decode.units": [1, 2]},
    "constraints": {"cost_usd": {"max": 0.0001}}, "minimize": "cost_usd"})";
  auto r = moesim::test::run_moesim("plan " + kTiny + " --space " + (dir / "space.json").string() + " --top-k 1 " +
                                    "--threads 1 --out " + (dir / "out").string());
  INFO(r.output);
  CHECK(r.status == 4);
  CHECK(r.output.find("no simulated candidate meets the constraints; nearest:") != std::string::npos);
}

TEST_CASE("moesim plan: a candidate whose pools are of different kinds says each pool's kind in plan.json") {
  auto dir = fresh_dir("moesim-plan-mixed");
  std::ofstream(dir / "space.json") << R"({"grid": {"fleet.decode.hardware": ["h800", "h200"]},
    "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  auto r = moesim::test::run_moesim("plan " + kTiny + " --space " + (dir / "space.json").string() + " --top-k 2 " +
                                    "--margin 0 --threads 2 --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto plan = nlohmann::json::parse(std::ifstream(dir / "out" / "plan.json"));
  REQUIRE(plan["simulated"].size() == 2);
  for (const auto& c : plan["simulated"]) {
    if (c["candidate"] == 0) CHECK(c["hardware"] == "h800");  // one kind: its name, as before
    if (c["candidate"] == 1) CHECK(c["hardware"] == nlohmann::json{{"prefill", "h800"}, {"decode", "h200"}});
  }
  // The same node-time, the H200 decode pool at its dearer price: the all-H800 candidate is the cheaper.
  CHECK(plan["best"]["candidate"] == 0);
}
