// Expert popularity (families, drift, the calibrated preset) and group-limited routing.
#include "models/cost/expert_popularity.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "common/error.h"
#include "models/cost/expert_calibration.h"
#include "models/cost/expert_routing.h"
#include "tests/support/model.h"

using namespace moesim::cost;

namespace {

constexpr int64_t kHour = 3'600'000'000'000;

std::vector<int> top_experts(const std::vector<double>& shares, int n) {
  std::vector<int> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return shares[a] > shares[b]; });
  order.resize(n);
  std::sort(order.begin(), order.end());
  return order;
}

double overlap(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return static_cast<double>(both.size()) / a.size();
}

}  // namespace

TEST_CASE("expert skew: the spec grammar parses every family and round-trips") {
  for (const char* text : {"uniform", "lognormal:0.8", "lognormal:0.5:0.9", "zipf:1.2", "file:w.json", "calibrated",
                           "zipf:0.8,drift=0.25", "lognormal:1,spread=0.3,transient=0.5", "calibrated,drift=0"}) {
    INFO(text);
    SkewSpec spec = parse_skew_spec(text);
    SkewSpec again = parse_skew_spec(to_string(spec));
    CHECK(to_string(again) == to_string(spec));
  }
  SkewSpec calibrated = parse_skew_spec("calibrated,drift=0");
  CHECK(calibrated.sigma == std::vector<double>{kCalibratedSigma});
  CHECK(calibrated.sigma_spread == kCalibratedSigmaSpread);
  CHECK(calibrated.drift_per_hour == 0);
  CHECK(parse_skew_spec("file:a,b.json,drift=1").file == "a,b.json");
}

TEST_CASE("expert skew: bad specs are errors naming the flag") {
  CHECK_THROWS_WITH(parse_skew_spec("pareto:1"), Catch::Contains("--expert-skew: unknown expert skew 'pareto:1'"));
  CHECK_THROWS_WITH(parse_skew_spec("zipf"), Catch::Contains("needs a parameter"));
  CHECK_THROWS_WITH(parse_skew_spec("zipf:-1"), Catch::Contains("zipf alpha must be a number in [0, 100], got '-1'"));
  CHECK_THROWS_WITH(parse_skew_spec("lognormal:1e300"),
                    Catch::Contains("lognormal sigma must be a number in [0, 100], got '1e300'"));
  CHECK_THROWS_WITH(parse_skew_spec("lognormal:nan"), Catch::Contains("lognormal sigma must be a number in [0, 100]"));
  CHECK_THROWS_WITH(parse_skew_spec("lognormal:x"), Catch::Contains("got 'x'"));
  CHECK_THROWS_WITH(parse_skew_spec("uniform:2"), Catch::Contains("takes no parameter"));
  CHECK_THROWS_WITH(parse_skew_spec("zipf:1,spread=0.2"), Catch::Contains("spread= applies to lognormal"));
  CHECK_THROWS_AS(ExpertPopularity(parse_skew_spec("lognormal:1:2:3"), {}, 1), moesim::InputError);
}

TEST_CASE("expert skew: shares are normalized, deterministic in the seed and shaped by the family") {
  RoutingShape shape = moesim::test::v3_routing();
  ExpertPopularity uniform(parse_skew_spec("uniform"), shape, 1);
  CHECK(uniform.initial_shares()[7][100] == Approx(1.0 / 256));
  ExpertPopularity a(parse_skew_spec("lognormal:0.9"), shape, 3), b(parse_skew_spec("lognormal:0.9"), shape, 3),
      c(parse_skew_spec("lognormal:0.9"), shape, 4);
  CHECK(a.initial_shares() == b.initial_shares());
  CHECK(a.initial_shares() != c.initial_shares());
  for (const auto& row : a.initial_shares()) CHECK(std::accumulate(row.begin(), row.end(), 0.0) == Approx(1.0));
  // Zipf: the sorted shares follow r^-alpha; the ranks are shuffled differently in every layer.
  ExpertPopularity zipf(parse_skew_spec("zipf:1.1"), shape, 1);
  std::vector<double> sorted = zipf.initial_shares()[0];
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  CHECK(sorted[0] / sorted[9] == Approx(std::pow(10.0, 1.1)));
  std::set<int> hottest;
  for (const auto& row : zipf.initial_shares()) hottest.insert(top_experts(row, 1)[0]);
  CHECK(hottest.size() > 40);  // 58 layers, hottest expert almost always different
}

TEST_CASE("expert skew: a weights file gives one row for all layers or one per layer, with clear errors") {
  auto dir = std::filesystem::temp_directory_path();
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  RoutingShape shape{.num_layers = 2, .num_experts = 4, .num_groups = 2, .top_k = 2, .topk_groups = 1};
  ExpertPopularity one(parse_skew_spec("file:" + write("skew_one.json", "[[1, 2, 3, 4]]")), shape, 1);
  CHECK(one.initial_shares()[1] == std::vector<double>{0.1, 0.2, 0.3, 0.4});
  CHECK_THROWS_WITH(ExpertPopularity(parse_skew_spec("file:" + write("skew_len.json", "[[1, 2, 3]]")), shape, 1),
                    Catch::Contains("expected 4 experts per row, got 3"));
  CHECK_THROWS_WITH(
      ExpertPopularity(parse_skew_spec("file:" + write("skew_rows.json", "[[1,2,3,4],[1,2,3,4],[1,2,3,4]]")), shape, 1),
      Catch::Contains("one per MoE layer (2), got 3 rows"));
  CHECK_THROWS_WITH(ExpertPopularity(parse_skew_spec("file:" + write("skew_zero.json", "[[0, 0, 0, 0]]")), shape, 1),
                    Catch::Contains("every load is zero"));
}

TEST_CASE(
    "expert skew: drift moves the hot set over hours, keeps the distribution, and does not depend on call times") {
  RoutingShape shape = moesim::test::v3_routing();
  ExpertPopularity pop(parse_skew_spec("lognormal:0.8,drift=0.5"), shape, 9);
  const auto initial = pop.initial_shares();
  auto after = [&](int64_t t) { return pop.shares_at(t); };
  auto ten_minutes = after(kHour / 6), later = after(3 * kHour);
  double near = 0, far = 0;
  for (int l = 0; l < shape.num_layers; ++l) {
    near += overlap(top_experts(initial[l], 32), top_experts(ten_minutes[l], 32)) / shape.num_layers;
    far += overlap(top_experts(initial[l], 32), top_experts(later[l], 32)) / shape.num_layers;
    std::vector<double> x = initial[l], y = later[l];
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    CHECK(x == y);  // the same shares, held by other experts
  }
  CHECK(near > 0.7);
  CHECK(far < 0.35);  // a random top-32 overlaps 12.5 % by chance
  ExpertPopularity fresh(parse_skew_spec("lognormal:0.8,drift=0.5"), shape, 9);
  CHECK(fresh.shares_at(3 * kHour) == later);      // one jump or many small steps: the same path
  CHECK(pop.shares_at(kHour / 6) == ten_minutes);  // going back in time recomputes from the start
  ExpertPopularity still(parse_skew_spec("lognormal:0.8"), shape, 9);
  CHECK(still.shares_at(3 * kHour) == initial);
}

TEST_CASE("expert routing: a token gets top-8 distinct experts from at most 4 groups, at the exact probabilities") {
  RoutingShape shape = moesim::test::v3_routing();
  ExpertPopularity pop(parse_skew_spec("calibrated"), shape, 1);
  LayerRouting routing = group_limited_routing(pop.initial_shares()[0], shape);
  CHECK(std::accumulate(routing.group_prob.begin(), routing.group_prob.end(), 0.0) == Approx(4.0));
  CHECK(std::accumulate(routing.inclusion.begin(), routing.inclusion.end(), 0.0) == Approx(8.0));
  RoutingSampler sampler(routing, shape);
  moesim::Rng rng(5);
  std::vector<int> experts(8);
  std::vector<double> count(256, 0.0);
  const int tokens = 60000;
  bool distinct = true, limited = true;
  for (int t = 0; t < tokens; ++t) {
    sampler.draw(rng, experts);
    std::set<int> ids(experts.begin(), experts.end()), groups;
    for (int e : experts) groups.insert(e / 32);
    distinct &= ids.size() == 8;
    limited &= groups.size() <= 4;
    for (int e : experts) ++count[e];
  }
  CHECK(distinct);
  CHECK(limited);
  double worst = 0;  // in binomial standard deviations
  for (int e = 0; e < 256; ++e) {
    double p = routing.inclusion[e];
    worst = std::max(worst, std::abs(count[e] / tokens - p) / std::sqrt(p * (1 - p) / tokens));
  }
  CHECK(worst < 4.5);  // the largest of 256 deviations: 4.5 sd has p ~ 0.2 % under the null
}

TEST_CASE("expert routing: caps keep inclusion <= 1 and a group's load <= 2 experts per token") {
  RoutingShape shape = moesim::test::v3_routing();
  ExpertPopularity zipf(parse_skew_spec("zipf:1.2"), shape, 1);
  LayerRouting r = group_limited_routing(zipf.initial_shares()[0], shape);
  CHECK(*std::max_element(r.inclusion.begin(), r.inclusion.end()) == Approx(1.0));
  CHECK(*std::max_element(r.group_prob.begin(), r.group_prob.end()) <= 1.0 + 1e-12);
  CHECK(std::accumulate(r.inclusion.begin(), r.inclusion.end(), 0.0) == Approx(8.0));
  auto x = capped_scaling(std::vector<double>{10, 1, 1, 0}, 2.0, 1.0);
  CHECK(x[0] == 1.0);
  CHECK(x[1] == Approx(0.5));
  CHECK(x[3] == 0.0);
  auto spread = capped_scaling(std::vector<double>{1, 0, 0, 0}, 2.0, 1.0);  // too few positive values
  CHECK(spread == std::vector<double>{1.0, 1.0 / 3, 1.0 / 3, 1.0 / 3});
}

TEST_CASE("expert skew: the calibrated preset reproduces the trace statistics and is the fit's optimum") {
  // Whole-workload statistics (GPQA/AIME25 traces) within the residuals docs/models/expert-load.md reports; the
  // per-iteration statistics (translation dataset, TensorRT-LLM) are not matched by any one parameter set that also
  // matches the traces: the model gives about half the measured max/mean, as documented.
  auto model = skew_statistics(parse_skew_spec("calibrated"), moesim::test::v3_routing(), {});
  auto ratio = [&](size_t i) { return model[i] / kMeasuredExpertStatistics[i].value; };
  CHECK(ratio(2) == Approx(1).margin(0.10));   // hottest share, median
  CHECK(ratio(5) == Approx(1).margin(0.10));   // top-32 share, median
  CHECK(ratio(3) == Approx(1).margin(0.25));   // hottest share, smallest layer
  CHECK(ratio(4) == Approx(1).margin(0.30));   // hottest share, largest layer
  CHECK(ratio(8) == Approx(1).margin(0.05));   // histogram, below 1.33x
  CHECK(ratio(9) == Approx(1).margin(0.10));   // 1.33x-2.66x
  CHECK(ratio(10) == Approx(1).margin(0.35));  // 2.66x-4x
  CHECK(ratio(11) == Approx(1).margin(0.50));  // 4x and more
  CHECK(ratio(0) < 0.7);                       // per-iteration max/mean: the documented dataset gap
  SkewStatisticsOptions options;
  options.instances = 16;  // half the draws of `moesim eplb --fit-skew`; the loss is smooth at this step
  auto loss = [&](double sigma, double spread) {
    SkewSpec s;
    s.family = SkewFamily::kLognormal;
    s.sigma = {sigma};
    s.sigma_spread = spread;
    return skew_fit_loss(skew_statistics(s, moesim::test::v3_routing(), options));
  };
  double at = loss(kCalibratedSigma, kCalibratedSigmaSpread);
  CHECK(at < loss(kCalibratedSigma + 0.05, kCalibratedSigmaSpread));
  CHECK(at < loss(kCalibratedSigma - 0.05, kCalibratedSigmaSpread));
  CHECK(at < loss(kCalibratedSigma, kCalibratedSigmaSpread + 0.05));
  CHECK(at < loss(kCalibratedSigma, kCalibratedSigmaSpread - 0.05));
}

TEST_CASE("expert skew: expected loads are tokens times the routed pick probabilities") {
  ExpertPopularity pop(parse_skew_spec("zipf:1.2"), moesim::test::v3_routing(), 1);
  auto loads = pop.expected_loads(0, 1000);
  LayerRouting routing = group_limited_routing(pop.initial_shares()[3], pop.shape());
  CHECK(loads[3][17] == Approx(1000 * routing.inclusion[17]));
  CHECK(std::accumulate(loads[3].begin(), loads[3].end(), 0.0) == Approx(8000));
  CHECK(*std::max_element(loads[3].begin(), loads[3].end()) == Approx(1000));  // capped: one pick per token
}
