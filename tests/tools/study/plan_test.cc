// The plan's pieces (tools/study/plan.h): the space file parsed strictly, constraints judged with their relative
// violation, which screened candidates go to simulation, and the frontier of cost, TTFT and per-user speed.
#include "tools/study/plan.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/error.h"

namespace {

namespace fs = std::filesystem;
using moesim::study::Space;
using moesim::study::Verdict;

fs::path write_space(const std::string& text) {
  auto file = fs::temp_directory_path() / ("moesim-plan-space-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << text;
  return file;
}

std::string error_of(const std::string& text) {
  try {
    moesim::study::read_space(write_space(text));
  } catch (const moesim::InputError& e) {
    return e.what();
  }
  return "no error";
}

moesim::study::FigureFn figures(std::map<std::string, double> m) {
  return [m](const std::string& n) { return m.contains(n) ? m.at(n) : std::nan(""); };
}

}  // namespace

TEST_CASE("plan space: grid, constraints and objective are read") {
  Space s = moesim::study::read_space(write_space(
      R"({"grid": {"hardware": ["h800", "h200"]}, "constraints": {"ttft_p90_s": {"max": 10},
          "user_tokens_per_s_p10": {"min": 20}}, "minimize": "cost_usd"})"));
  CHECK(s.grid.candidates.size() == 2);
  REQUIRE(s.constraints.size() == 2);
  CHECK(s.constraints[0].figure == "ttft_p90_s");
  CHECK(s.constraints[0].max == 10);
  CHECK(s.constraints[1].min == 20);
  CHECK(s.objective == "cost_usd");
  CHECK(s.minimize);
}

TEST_CASE("plan space: mistakes are refused naming the file and the place") {
  CHECK_THAT(error_of(R"({"grid": {}, "minimize": "cost"})"),
             Catch::Contains("minimize: 'cost' is not a numeric summary.json figure"));
  CHECK_THAT(error_of(R"({"grid": {}})"), Catch::Contains("an objective is missing"));
  CHECK_THAT(error_of(R"({"minimize": "cost_usd"})"), Catch::Contains("grid is missing"));
  CHECK_THAT(error_of(R"({"grid": {}, "minimize": "cost_usd", "maximize": "margin"})"),
             Catch::Contains("one objective only"));
  CHECK_THAT(error_of(R"({"grid": {}, "minimize": "cost_usd", "constraints": {"ttft_p90_s": {"below": 3}}})"),
             Catch::Contains("constraints.ttft_p90_s: unknown key 'below'"));
  CHECK_THAT(error_of(R"({"grid": {}, "minimize": "cost_usd", "constraints": {"ttft_p90_s": {"min": 3, "max": 1}}})"),
             Catch::Contains("min is above max"));
  CHECK_THAT(error_of(R"({"grid": {"hardware": []}, "minimize": "cost_usd"})"), Catch::Contains(": grid"));
  CHECK_THAT(error_of(R"({"grid": {}, "minimize": "cost_usd", "budget": 3})"), Catch::Contains("unknown key 'budget'"));
}

TEST_CASE("plan verdict: a broken bound is named with its relative violation, a missing figure is unknown") {
  Space s = moesim::study::read_space(write_space(
      R"({"grid": {}, "constraints": {"ttft_p90_s": {"max": 10}, "requests_rejected": {"max": 0},
          "user_tokens_per_s_p10": {"min": 20}}, "minimize": "cost_usd"})"));
  Verdict ok = moesim::study::verdict(s, figures({{"ttft_p90_s", 9}, {"user_tokens_per_s_p10", 21}}));
  CHECK(ok.feasible);
  CHECK(ok.unknown == std::vector<std::string>{"requests_rejected"});
  Verdict bad =
      moesim::study::verdict(s, figures({{"ttft_p90_s", 15}, {"user_tokens_per_s_p10", 19}, {"requests_rejected", 3}}));
  CHECK_FALSE(bad.feasible);
  CHECK(bad.broken.size() == 3);
  CHECK(bad.worst_violation == Approx(3.0));  // 3 rejected against a bound of 0 (taken relative to 1)
  CHECK(moesim::study::objective_cost(s, figures({{"cost_usd", 5}})) == 5);
}

TEST_CASE("plan selection: the best feasible, those within the margin, and a seeded sample of the rejected") {
  std::vector<Verdict> v(8);
  for (size_t i : {1, 3, 5, 7}) v[i].feasible = false;
  std::vector<double> cost = {10, 1, 10.4, 2, 20, 3, 30, 4};
  auto chosen = moesim::study::select_for_simulation(v, cost, 1, 0.05, 7);
  // Feasible by cost: 0 (10), 2 (10.4: within 5 %), 4, 6; one rejected drawn.
  REQUIRE(chosen.size() == 3);
  CHECK(chosen[0] == 0);
  CHECK(std::count(chosen.begin(), chosen.end(), 2) == 1);
  CHECK(moesim::study::select_for_simulation(v, cost, 1, 0.05, 7) == chosen);  // seeded: the same draw
  CHECK(moesim::study::select_for_simulation(v, cost, 10, 0, 7).size() == 8);
  CHECK(moesim::study::select_for_simulation(v, cost, 0, 0, 7).empty());  // the screen alone
  CHECK(moesim::study::select_for_simulation(v, cost, 0, 0.05, 7) == std::vector<size_t>{0, 2});
}

TEST_CASE("plan frontier: a point no other beats on cost, TTFT and speed together stays") {
  std::vector<double> cost = {1, 2, 3, 2};
  std::vector<double> ttft = {10, 5, 4, 6};
  std::vector<double> speed = {20, 20, 25, 19};
  auto f = moesim::study::frontier(cost, ttft, speed);
  CHECK(f == std::vector<size_t>{0, 1, 2});  // 3 is beaten by 1 on all three
}
