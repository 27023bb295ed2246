// moesim plan's answers with their spread (issue 28): three seeds by default, each simulated figure a mean with its
// 95 % Student-t interval, the feasibility rule on intervals, the constraint that binds, the answer's cheaper
// neighbour simulated beside it, the stratified sample that measures the screen, and the spaces refused before
// anything runs.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/command.h"
#include "tests/support/sqlite_rows.h"

namespace {

using moesim::test::fresh_dir;
using moesim::test::run_moesim;

const std::string kTiny = moesim::test::tiny_scenario_args();

// The four fleets of one or two units per pool, against `constraints`, cheapest first.
std::filesystem::path write_space(const std::filesystem::path& dir, const std::string& constraints) {
  auto file = dir / "space.json";
  std::ofstream(file) << R"({"grid": {"fleet.decode.units": [1, 2], "fleet.prefill.units": [1, 2]}, "constraints": )"
                      << constraints << R"(, "minimize": "cost_usd"})";
  return file;
}

nlohmann::json read_plan(const std::filesystem::path& dir) {
  return nlohmann::json::parse(std::ifstream(dir / "out" / "plan.json"));
}

}  // namespace

TEST_CASE("moesim plan: three seeds by default, every simulated figure a mean with its interval, and what binds") {
  auto dir = fresh_dir("moesim-plan-spread");
  auto space = write_space(dir, R"({"requests_rejected": {"max": 0}, "user_tokens_per_s_p10": {"min": 5}})");
  auto r = run_moesim("plan " + kTiny + " --space " + space.string() + " --top-k 1 --margin 0 --threads 2 --out " +
                      (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("x 3 seed(s)") != std::string::npos);
  auto plan = read_plan(dir);
  CHECK(plan["seeds"] == 3);
  CHECK(plan["feasibility_rule"].get<std::string>().find("whole interval") != std::string::npos);
  const auto& cost = plan["best"]["figures"]["cost_usd"]["simulation"];
  CHECK(cost["n"] == 3);
  CHECK(cost["low"].get<double>() <= cost["mean"].get<double>());
  CHECK(cost["mean"].get<double>() <= cost["high"].get<double>());
  // No rejection (0 of max 0, on every seed) holds at its bound; the speed's lower end is what binds.
  CHECK(plan["best"]["binds"].get<std::string>().find("user_tokens_per_s_p10") == 0);
  CHECK(r.output.find("binds: user_tokens_per_s_p10") != std::string::npos);
  auto rows = moesim::test::sqlite_rows(dir / "out" / "results.sqlite",
                                        "SELECT count(*) AS n FROM runs WHERE fidelity = 'simulation'");
  CHECK(rows.at(0).at("n") == "3");
}

TEST_CASE("moesim plan: the answer's cheaper neighbour by the screen is simulated to show why it is not the answer") {
  auto dir = fresh_dir("moesim-plan-neighbour");
  // The smallest fleet (candidate 0) has fewer nodes than the bound: the screen rejects it, and with --top-k 0 (and
  // a margin that holds the best alone) only the screen's best is simulated first; the next round simulates
  // candidate 0 beside the answer.
  auto space = write_space(dir, R"({"nodes_avg": {"min": 23}})");
  auto r = run_moesim("plan " + kTiny + " --space " + space.string() + " --top-k 0 --margin 0.001 --seeds 2 " +
                      "--threads 2 --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("the answer's cheaper neighbour by the screen") != std::string::npos);
  auto plan = read_plan(dir);
  REQUIRE(plan["cheaper_neighbours"].size() == 1);
  const auto& neighbour = plan["cheaper_neighbours"][0];
  CHECK(neighbour["candidate"] == 0);
  CHECK(neighbour["feasible_by_simulation"] == false);
  CHECK(neighbour["broken"][0].get<std::string>().find("nodes_avg") == 0);
  CHECK(plan["best"]["candidate"] != 0);
  CHECK(plan["candidates_simulated"] == 2);
}

TEST_CASE("moesim plan: --screen-sample simulates a stratified sample and reports the screen's agreement on it") {
  auto dir = fresh_dir("moesim-plan-sample");
  auto space = write_space(dir, R"({"requests_rejected": {"max": 0}})");
  auto r = run_moesim("plan " + kTiny + " --space " + space.string() + " --top-k 0 --margin 0 --seeds 1 " +
                      "--screen-sample 3 --threads 2 --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto plan = read_plan(dir);
  const auto& sample = plan["screen_against_simulation"]["stratified_sample"];
  CHECK(sample["candidates"] == 3);
  CHECK(sample["verdicts_agree"].get<int>() <= 3);
  CHECK(sample["median_relative_error"].contains("nodes_avg"));
  CHECK(sample["median_relative_error"]["cost_usd"].is_number());
  int sampled = 0;
  for (const auto& c : plan["simulated"]) {
    for (const auto& why : c["simulated_as"]) sampled += why.get<std::string>().find("stratified sample") != std::string::npos;
  }
  CHECK(sampled == 3);
}

TEST_CASE("moesim plan: a space whose every candidate is refused before running is a clear error and runs nothing") {
  auto dir = fresh_dir("moesim-plan-refused");
  std::ofstream(dir / "space.json") << R"({"grid": {"fleet.decode.nodes_per_unit": [1], "fleet.decode.units": [1, 2]},
    "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  auto r = run_moesim("plan " + kTiny + " --space " + (dir / "space.json").string() + " --out " +
                      (dir / "out").string());
  INFO(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find("every candidate (2 of 2) is refused before running; candidate 0 (fleet.decode.nodes_per_unit=1, "
                      "fleet.decode.units=1): fleet.decode: a decode unit of EP8 on h800 needs") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.sqlite"));
}

TEST_CASE("moesim plan: an unknown GPU kind or a constraint on a figure that is not a number is refused with exit 2") {
  auto dir = fresh_dir("moesim-plan-bad-space");
  std::ofstream(dir / "kind.json") << R"({"grid": {"hardware": ["h800", "h999"]},
    "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  auto kind = run_moesim("plan " + kTiny + " --space " + (dir / "kind.json").string() + " --out " +
                         (dir / "out").string());
  INFO(kind.output);
  CHECK(kind.status == 2);
  CHECK(kind.output.find("candidate 1 (hardware=\"h999\"): ") != std::string::npos);
  CHECK(kind.output.find("hardware: unknown hardware \"h999\"") != std::string::npos);
  std::ofstream(dir / "text.json") << R"({"grid": {"fleet.decode.units": [1]},
    "constraints": {"source.name": {"max": 0}}, "minimize": "cost_usd"})";
  auto text = run_moesim("plan " + kTiny + " --space " + (dir / "text.json").string() + " --out " +
                         (dir / "out").string());
  INFO(text.output);
  CHECK(text.status == 2);
  CHECK(text.output.find("constraints.source.name: 'source.name' is not a numeric summary.json figure") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out"));
}
