// The comparison's statistics (tools/study/compare.h): paired Student-t intervals against values worked by hand,
// zero variance and a single seed, Holm's step-down adjustment, verdicts in each figure's direction, and the
// variant syntax with its mistakes.
#include "tools/study/compare.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/error.h"

using namespace moesim::study;
using moesim::InputError;
using moesim::observe::RunReport;

TEST_CASE("compare: the paired interval is mean +- t(0.975, n-1) sd / sqrt(n) of the differences") {
  // Differences 1, 2, 3: mean 2, sd 1, se 1/sqrt(3); t(0.975, 2) = 4.302653 (tables).
  std::vector<double> base = {10.0, 20.0, 30.0};
  std::vector<double> var = {11.0, 22.0, 33.0};
  auto s = paired_stats(base, var);
  CHECK(s.n == 3);
  CHECK(s.baseline_mean == Approx(20.0));
  CHECK(s.difference == Approx(2.0));
  CHECK(*s.ci_low == Approx(2.0 - 4.302653 / std::sqrt(3.0)).epsilon(1e-6));
  CHECK(*s.ci_high == Approx(2.0 + 4.302653 / std::sqrt(3.0)).epsilon(1e-6));
  CHECK(*s.relative == Approx(0.1));
  // t = 2 sqrt(3) = 3.4641 on 2 degrees of freedom: two-sided p = 0.07418 (tables).
  CHECK(*s.p_value == Approx(0.07418).epsilon(1e-3));
}

TEST_CASE("compare: zero variance gives a zero-width interval, one seed gives no interval") {
  std::vector<double> same = {5.0, 6.0, 7.0};
  auto none = paired_stats(same, same);
  CHECK(none.difference == 0.0);
  CHECK(*none.ci_low == 0.0);
  CHECK(*none.ci_high == 0.0);
  CHECK(*none.p_value == 1.0);
  std::vector<double> shifted = {6.0, 7.0, 8.0};
  auto sure = paired_stats(same, shifted);
  CHECK(*sure.ci_low == 1.0);
  CHECK(*sure.ci_high == 1.0);
  CHECK(*sure.p_value == 0.0);
  std::vector<double> one = {5.0};
  std::vector<double> other = {7.0};
  auto single = paired_stats(one, other);
  CHECK(single.difference == 2.0);
  CHECK_FALSE(single.ci_low.has_value());
  CHECK_FALSE(single.p_value.has_value());
  std::vector<double> zero = {0.0, 0.0};
  CHECK_FALSE(paired_stats(zero, zero).relative.has_value());  // no relative change from a zero baseline
}

TEST_CASE("compare: Holm's adjustment multiplies the k-th smallest p by the hypotheses left, monotone, at most 1") {
  auto adj = holm_adjust({0.01, 0.04, std::nullopt, 0.03, 0.5});
  // Four p-values: 0.01 x 4 = 0.04; 0.03 x 3 = 0.09; 0.04 x 2 = 0.08 -> 0.09 (monotone); 0.5 x 1 = 0.5.
  CHECK(*adj[0] == Approx(0.04));
  CHECK(*adj[3] == Approx(0.09));
  CHECK(*adj[1] == Approx(0.09));
  CHECK_FALSE(adj[2].has_value());
  CHECK(*adj[4] == Approx(0.5));
  CHECK(*holm_adjust({0.6, 0.7})[0] == 1.0);
}

namespace {
RunReport report(double ttft_p50, double speed_mean) {
  RunReport r;
  r.latency.ttft_p50_s = ttft_p50;
  r.latency.user_tokens_per_s_mean = speed_mean;
  return r;
}
}  // namespace

TEST_CASE("compare: verdicts follow each figure's direction, and an unchanged variant has no difference") {
  std::vector<RunReport> base = {report(1.0, 20.0), report(1.2, 21.0), report(0.9, 19.0), report(1.1, 20.5)};
  // Slower first tokens and faster decoding, every seed by nearly the same amount.
  std::vector<RunReport> var = {report(1.5, 22.0), report(1.71, 23.1), report(1.39, 20.9), report(1.6, 22.5)};
  auto rows = compare_variant("v", base, var);
  REQUIRE(rows.size() == compare_figures().size());
  auto row = [&](const std::string& key) {
    for (const auto& r : rows)
      if (r.figure->name == key) return r;
    FAIL("no row " << key);
    return rows[0];
  };
  CHECK(row("ttft_p50_s").verdict == "worse");
  CHECK(row("user_tokens_per_s_mean").verdict == "better");
  CHECK(row("cost_usd").verdict == "no detectable difference");  // zero in every run: no difference
  for (const auto& r : compare_variant("same", base, base)) {
    CHECK(r.stats.difference == 0.0);
    CHECK(*r.stats.ci_low == 0.0);
    CHECK(*r.stats.ci_high == 0.0);
    CHECK(r.verdict == "no detectable difference");
  }
  std::vector<RunReport> one_base = {base[0]};
  std::vector<RunReport> one_var = {var[0]};
  CHECK(compare_variant("v", one_base, one_var)[0].verdict == "no interval (one seed)");
  CHECK(rows_csv(rows).rfind("variant,metric,better,seeds,baseline_mean,", 0) == 0);
  CHECK(rows_json(rows)[0]["metric"] == "ttft_p50_s");
}

TEST_CASE("compare: a variant is NAME:key=value[,key=value...], commas inside JSON values do not split") {
  auto v = parse_variant("rr:fleet.decode.balancer=round-robin,experts.skew=\"zipf:1.1\"");
  CHECK(v.name == "rr");
  CHECK(v.overrides == std::vector<std::string>{"fleet.decode.balancer=round-robin", "experts.skew=\"zipf:1.1\""});
  auto list = parse_variant("x:a.b=[1,2,3],c={\"d\":1,\"e\":2}");
  CHECK(list.overrides == std::vector<std::string>{"a.b=[1,2,3]", "c={\"d\":1,\"e\":2}"});
  CHECK(v.labels()[0].second == "rr");
}

TEST_CASE("compare: malformed variants and names given twice are input errors that quote them") {
  CHECK_THROWS_WITH(parse_variant("rr"), Catch::Contains("expected NAME:key.path=value"));
  CHECK_THROWS_WITH(parse_variant("rr:"), Catch::Contains("no key.path=value"));
  CHECK_THROWS_WITH(parse_variant(":a=1"), Catch::Contains("a name is 1 to 64"));
  CHECK_THROWS_WITH(parse_variant("baseline:a=1"), Catch::Contains("'baseline' names the scenario"));
  CHECK_THROWS_WITH(parse_variant("x:a=1,a=2"), Catch::Contains("a is given twice"));
  CHECK_THROWS_WITH(parse_variant("x:seed=2"), Catch::Contains("the seeds come from --seeds"));
  CHECK_THROWS_WITH(parse_variant("x:a=1,b"), Catch::Contains("'b' is not key.path=value"));
  CHECK_THROWS_AS(check_distinct_names({parse_variant("a:x=1"), parse_variant("a:y=2")}), InputError);
}
