// The sweep grid (tools/study/grid.h): expansion into candidates (product of plain keys, zip groups aligned), and
// strict parsing (every mistake names the grid file and the JSON path).
#include "tools/study/grid.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/error.h"

using moesim::study::Grid;
using moesim::study::parse_grid;

namespace {

Grid parse(const std::string& text) { return parse_grid(nlohmann::ordered_json::parse(text), "grid.json"); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const moesim::InputError& e) {
    return e.what();
  }
  return "no error";
}

std::string row(const Grid& g, size_t c) {
  std::string out;
  for (const auto& v : g.candidates[c]) {
    if (!out.empty()) out += ' ';
    out += v.dump();
  }
  return out;
}

}  // namespace

TEST_CASE("grid: plain keys expand to their product, in file order, the first key varying slowest") {
  Grid g = parse(R"({"hardware": ["h800", "h200"], "fleet.decode.units": [1, 2, 3]})");
  REQUIRE(g.keys == std::vector<std::string>{"hardware", "fleet.decode.units"});
  REQUIRE(g.candidates.size() == 6);
  CHECK(row(g, 0) == R"("h800" 1)");
  CHECK(row(g, 2) == R"("h800" 3)");
  CHECK(row(g, 3) == R"("h200" 1)");
  CHECK(row(g, 5) == R"("h200" 3)");
}

TEST_CASE("grid: a zip group's keys move together and are crossed with the plain keys") {
  Grid g = parse(R"({"hardware": ["h800", "h100", "h200"],
                     "zip": [{"fleet.decode.nodes_per_unit": [9, 18, 36], "fleet.decode.redundant_experts": [32, 32, 64]}],
                     "slo.user_tokens_per_s": [15, 21]})");
  REQUIRE(g.keys == std::vector<std::string>{"hardware", "fleet.decode.nodes_per_unit",
                                             "fleet.decode.redundant_experts", "slo.user_tokens_per_s"});
  REQUIRE(g.candidates.size() == 3 * 3 * 2);
  CHECK(row(g, 0) == R"("h800" 9 32 15)");
  CHECK(row(g, 1) == R"("h800" 9 32 21)");
  CHECK(row(g, 2) == R"("h800" 18 32 15)");
  CHECK(row(g, 5) == R"("h800" 36 64 21)");
  CHECK(row(g, 17) == R"("h200" 36 64 21)");
}

TEST_CASE("grid: two zip groups multiply, and an empty grid is one candidate with no keys") {
  Grid g = parse(R"({"zip": [{"a.b": [1, 2], "a.c": [3, 4]}, {"d": ["x", "y", "z"]}]})");
  CHECK(g.candidates.size() == 6);
  CHECK(row(g, 4) == R"(2 4 "y")");
  Grid empty = parse("{}");
  CHECK(empty.keys.empty());
  REQUIRE(empty.candidates.size() == 1);
  CHECK(empty.candidates[0].empty());
}

TEST_CASE("grid: values may be any JSON, and override_for writes them as JSON") {
  Grid g = parse(R"({"experts.skew": ["uniform", "zipf:1.1"], "fleet.decode.mtp": [true], "x": [{"k": 1}]})");
  CHECK(moesim::study::override_for("experts.skew", g.candidates[1][0]) == R"(experts.skew="zipf:1.1")");
  CHECK(moesim::study::override_for("fleet.decode.mtp", g.candidates[0][1]) == "fleet.decode.mtp=true");
  CHECK(moesim::study::override_for("x", g.candidates[0][2]) == R"(x={"k":1})");
}

TEST_CASE("grid: every malformed grid is an InputError naming the file and the JSON path") {
  CHECK(error_of(R"([1, 2])") ==
        "grid.json: (root): expected an object of key paths and lists of values, got an array");
  CHECK(error_of(R"({"hardware": []})") == "grid.json: hardware: expected a non-empty list of values");
  CHECK(error_of(R"({"hardware": "h800"})") == R"(grid.json: hardware: expected a list of values, got "h800")");
  CHECK(error_of(R"({"zip": {"a": [1]}})") == "grid.json: zip: expected a list of key groups, got an object");
  CHECK(error_of(R"({"zip": []})") == "grid.json: zip: expected a non-empty list of key groups");
  CHECK(error_of(R"({"zip": [{"a": [1]}, 3]})") == "grid.json: zip[1]: expected an object of key paths, got 3");
  CHECK(error_of(R"({"zip": [{}]})") == "grid.json: zip[0]: expected at least one key path");
  CHECK(error_of(R"({"zip": [{"a.b": [1, 2, 3], "a.c": [1, 2]}]})") ==
        "grid.json: zip[0].a.c: expected 3 values (as a.b), got 2: the lists of a zip group go together");
  CHECK(error_of(R"({"zip": [{"a.b": [1], "a.c": 7}]})") == "grid.json: zip[0].a.c: expected a list of values, got 7");
  CHECK(error_of(R"({"a.b": [1], "zip": [{"a.b": [2]}]})") ==
        "grid.json: zip[0].a.b: this key appears twice in the grid (plain or zipped)");
  CHECK(error_of(R"({"zip": [{"a": [1]}, {"a": [2]}]})") ==
        "grid.json: zip[1].a: this key appears twice in the grid (plain or zipped)");
  CHECK(error_of(R"({"seed": [1, 2]})") == "grid.json: seed: the seeds come from --seeds, not from the grid");
  CHECK(error_of(R"({"a..b": [1]})") == "grid.json: a..b: expected a scenario key path like fleet.decode.units");
}
