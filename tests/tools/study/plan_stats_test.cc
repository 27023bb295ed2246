// The plan's answers with their spread (tools/study/plan_stats.h): the Student-t interval over seeds, the feasibility
// rule on intervals, the binding constraint, the cheaper neighbour, the stratified sample and the agreement measures.
#include "tools/study/plan_stats.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using moesim::study::Estimate;
using moesim::study::Space;

Space ttft_and_speed() {
  Space s;
  s.constraints = {{"ttft_p90_s", -1e300, 15.0}, {"user_tokens_per_s_p10", 20.0, 1e300}};
  s.objective = "cost_usd";
  return s;
}

moesim::study::EstimateFn estimates(std::map<std::string, std::vector<double>> runs) {
  return [runs](const std::string& n) {
    return runs.contains(n) ? moesim::study::estimate(runs.at(n)) : Estimate{};
  };
}

}  // namespace

TEST_CASE("plan estimate: three seeds give the mean and the 95 % Student-t interval with t(0.975, 2) = 4.303") {
  const std::vector<double> x = {10.0, 12.0, 14.0};  // mean 12, sd 2
  const Estimate e = moesim::study::estimate(x);
  CHECK(e.n == 3);
  CHECK(e.mean == Approx(12.0));
  CHECK(e.sd == Approx(2.0));
  const double half = 4.302652729911275 * 2.0 / std::sqrt(3.0);
  CHECK(e.low == Approx(12.0 - half).epsilon(1e-9));
  CHECK(e.high == Approx(12.0 + half).epsilon(1e-9));
}

TEST_CASE("plan estimate: one seed has a mean and no interval, and non-finite runs do not count") {
  const std::vector<double> one = {7.0, std::nan("")};
  const Estimate e = moesim::study::estimate(one);
  CHECK(e.n == 1);
  CHECK(e.mean == 7.0);
  CHECK_FALSE(e.has_interval());
  CHECK(std::isnan(e.high));
  CHECK(moesim::study::estimate(std::vector<double>{}).n == 0);
}

TEST_CASE("plan verdict on intervals: feasible only when every interval meets its bound, undecided when it crosses") {
  const Space s = ttft_and_speed();
  auto inside = moesim::study::verdict_on_intervals(s, estimates({{"ttft_p90_s", {10, 11, 12}},
                                                                   {"user_tokens_per_s_p10", {24, 25, 26}}}));
  CHECK(inside.feasible);
  // Mean 14 meets max 15, but the interval (14 +- 4.3 * 1/sqrt(3)) reaches above it.
  auto crossing = moesim::study::verdict_on_intervals(s, estimates({{"ttft_p90_s", {13, 14, 15}},
                                                                     {"user_tokens_per_s_p10", {24, 25, 26}}}));
  CHECK_FALSE(crossing.feasible);
  CHECK(crossing.broken.empty());
  REQUIRE(crossing.undecided.size() == 1);
  CHECK(crossing.undecided[0].find("ttft_p90_s 14 [") == 0);
  auto broken = moesim::study::verdict_on_intervals(s, estimates({{"ttft_p90_s", {20, 21, 22}},
                                                                   {"user_tokens_per_s_p10", {19, 19, 19}}}));
  CHECK_FALSE(broken.feasible);
  CHECK(broken.broken.size() == 2);
  CHECK(broken.worst_violation == Approx(21.0 / 15.0 - 1.0));
}

TEST_CASE("plan verdict on intervals: with one seed the value itself is judged, as the screen's would be") {
  const Space s = ttft_and_speed();
  auto v = moesim::study::verdict_on_intervals(s, estimates({{"ttft_p90_s", {14.9}}, {"user_tokens_per_s_p10", {20}}}));
  CHECK(v.feasible);
  auto missing = moesim::study::verdict_on_intervals(s, estimates({{"ttft_p90_s", {14.9}}}));
  CHECK(missing.unknown == std::vector<std::string>{"user_tokens_per_s_p10"});
}

TEST_CASE("plan binding constraint: the bound with the least relative slack of the interval's far end") {
  const Space s = ttft_and_speed();
  // TTFT high end 12 + 4.303/sqrt(3) = 14.48 of 15: slack 3.4 %; speed low end 30 - 2.48 = 27.5 of 20: slack 37 %.
  auto b = moesim::study::binding_constraint(s, estimates({{"ttft_p90_s", {11, 12, 13}},
                                                           {"user_tokens_per_s_p10", {29, 30, 31}}}));
  REQUIRE(b);
  CHECK(b->figure == "ttft_p90_s");
  CHECK(b->slack == Approx((15.0 - (12.0 + 4.302652729911275 / std::sqrt(3.0))) / 15.0));
  CHECK(b->text.find("<= max 15") != std::string::npos);
  CHECK_FALSE(moesim::study::binding_constraint(Space{}, estimates({})));
  // A figure every seed puts on its bound (no rejection of max 0) gives way to one with an interval.
  Space with_rejections = s;
  with_rejections.constraints.push_back({"requests_rejected", -1e300, 0.0});
  auto r = moesim::study::binding_constraint(with_rejections, estimates({{"ttft_p90_s", {11, 12, 13}},
                                                                         {"requests_rejected", {0, 0, 0}}}));
  REQUIRE(r);
  CHECK(r->figure == "ttft_p90_s");
  auto only = moesim::study::binding_constraint(with_rejections, estimates({{"requests_rejected", {0, 0, 0}}}));
  REQUIRE(only);
  CHECK(only->text == "requests_rejected 0 [0, 0] at its bound");
}

TEST_CASE("plan least slack: negative by the largest relative violation, positive by the nearest bound's room") {
  const Space s = ttft_and_speed();
  auto fig = [](double ttft, double speed) {
    return [=](const std::string& n) { return n == "ttft_p90_s" ? ttft : n == "user_tokens_per_s_p10" ? speed : 0.0; };
  };
  CHECK(moesim::study::least_slack(s, fig(12, 30)) == Approx(0.2));
  CHECK(moesim::study::least_slack(s, fig(18, 30)) == Approx(-0.2));
  CHECK(moesim::study::least_slack(s, fig(12, 18)) == Approx(-0.1));
}

TEST_CASE("plan cheaper neighbour: the usable candidate just below the answer's screened objective") {
  const std::vector<double> cost = {5, 3, 9, 4, 1};
  const std::vector<bool> usable = {true, true, true, false, true};
  CHECK(moesim::study::cheaper_neighbour(cost, usable, 0) == 1u);  // 4 is not usable; 3 is next below 5
  CHECK(moesim::study::cheaper_neighbour(cost, usable, 2) == 0u);
  CHECK_FALSE(moesim::study::cheaper_neighbour(cost, usable, 4));  // nothing is cheaper than the cheapest
}

TEST_CASE("plan screen sample: stratified over objective and slack, seeded, without repeats or unusable ones") {
  std::vector<double> cost, slack;
  std::vector<bool> usable;
  for (int i = 0; i < 100; ++i) {
    cost.push_back(i);
    slack.push_back((i * 37) % 100 - 50);
    usable.push_back(i % 10 != 3);
  }
  const auto a = moesim::study::stratified_sample(cost, slack, usable, 20, 1);
  CHECK(a.size() == 20);
  CHECK(std::set<size_t>(a.begin(), a.end()).size() == 20);
  for (size_t i : a) CHECK(usable[i]);
  CHECK(moesim::study::stratified_sample(cost, slack, usable, 20, 1) == a);
  CHECK(moesim::study::stratified_sample(cost, slack, usable, 20, 2) != a);
  // Each of the ten slices of the objective gives at least one candidate.
  std::set<int> slices;
  for (size_t i : a) slices.insert(static_cast<int>(cost[i]) / 10);
  CHECK(slices.size() == 10);
  CHECK(moesim::study::stratified_sample(cost, slack, usable, 500, 1).size() == 90);
}

TEST_CASE("plan agreement measures: Spearman's rho with ties and the median relative error") {
  const std::vector<double> a = {1, 2, 3, 4, 5};
  const std::vector<double> b = {10, 20, 30, 40, 50};
  const std::vector<double> reversed = {5, 4, 3, 2, 1};
  CHECK(moesim::study::spearman(a, b) == Approx(1.0));
  CHECK(moesim::study::spearman(a, reversed) == Approx(-1.0));
  const std::vector<double> tied = {1, 1, 2, 3, 4};
  CHECK(moesim::study::spearman(tied, b) == Approx(0.9746794344808963));
  CHECK(std::isnan(moesim::study::spearman(std::vector<double>{1, 1}, std::vector<double>{2, 3})));
  const std::vector<double> screen = {110, 97, 100, std::nan("")};
  const std::vector<double> sim = {100, 100, 100, 100};
  CHECK(moesim::study::median_relative_error(screen, sim) == Approx(0.03));
}
