// The figure catalogue (sim/observe/figures.h) against summary.json: each entry names a numeric key of the document
// and its getter reads the value to_json writes there, so a figure cannot be renamed or re-pointed in one place only.
#include "sim/observe/figures.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace moesim::observe;

namespace {

// A report whose every top-level number differs from every other (integers stay integers), read back strictly.
nlohmann::json distinct_summary() {
  RunReport r;
  r.autoscaler.emplace();
  nlohmann::json doc = to_json(r);
  int k = 1;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    nlohmann::json& value = it.value();
    if (value.is_number_integer()) {
      value = 1000 + k++;
    } else if (value.is_number_float()) {
      value = 0.25 + k++;
    }
  }
  return doc;
}

}  // namespace

TEST_CASE("figures: each entry reads the value summary.json holds under its name") {
  const nlohmann::json doc = distinct_summary();
  const RunReport r = report_from_json(doc, "distinct");
  for (const Figure& f : kFigures) {
    INFO(f.name);
    const std::string name(f.name);
    REQUIRE(doc.contains(name));
    REQUIRE(doc[name].is_number());
    CHECK(f.get(r) == doc[name].get<double>());
  }
}

TEST_CASE("figures: names are distinct, units given, and every compared figure has a better direction") {
  std::set<std::string_view> names;
  int compared = 0;
  for (const Figure& f : kFigures) {
    INFO(f.name);
    CHECK(names.insert(f.name).second);
    CHECK_FALSE(f.unit.empty());
    if (f.interval) {
      ++compared;
      CHECK(f.better != Better::kNone);
    }
  }
  CHECK(compared == 15);
}

TEST_CASE("figures: a name known only at run time is found, an unknown one is not") {
  constexpr const Figure& ttft = figure("ttft_p90_s");
  CHECK(find_figure("ttft_p90_s") == &ttft);
  CHECK(ttft.better == Better::kLower);
  CHECK(better_name(figure("user_tokens_per_s_p10").better) == "higher");
  CHECK(better_name(figure("requests_in").better) == "none");
  CHECK(find_figure("no_such_figure") == nullptr);
  CHECK(find_figure("seed") == nullptr);
}

TEST_CASE("figures: runs over seeds combine by the mean, or by the sum where a figure is a total") {
  CHECK(combine_over_seeds(OverSeeds::kMean, 9.0, 3) == 3.0);
  CHECK(combine_over_seeds(OverSeeds::kSum, 9.0, 3) == 9.0);
  for (const Figure& f : kFigures) CHECK(f.over_seeds == OverSeeds::kMean);  // seeds are replicates of one candidate
}
