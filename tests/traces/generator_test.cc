// The reference-day generator. Validation (issue 5, "Done when"): at scale 0.01 (about 1.4 M requests) the generated
// day must total 1 % of the published 608 B input and 168 B output tokens within 2 %, a cached fraction within 1 point
// of 56.3 %, an output-weighted KV length within 5 % of 4,989, and every hour's share of the day's theoretical revenue
// (R1 prices) within 10 % of that hour's share of the published hourly income. The tolerances leave room for the
// sampling noise of a thinned day (about 0.3 % on totals, 2 % on the smallest hour's revenue) and nothing more.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "common/error.h"
#include "common/rng.h"
#include "tests/traces/helpers.h"
#include "traces/day_generator.h"
#include "traces/trace_stats.h"

using namespace moesim::traces;
using Catch::Matchers::Contains;
using moesim::InputError;
using moesim::traces::test::sample;
using moesim::traces::test::TempDir;

namespace {

// Published hourly income shares, straight from the CSV (the test's own reading, not the loader's).
std::vector<double> published_shares() {
  std::ifstream in(sample("deepseek-day-hourly.csv"));
  std::string line;
  std::getline(in, line);
  std::vector<double> income;
  while (std::getline(in, line)) income.push_back(std::stod(line.substr(line.rfind(',') + 1)));
  double total = 0;
  for (double v : income) total += v;
  for (double& v : income) v /= total;
  return income;
}

}  // namespace

TEST_CASE("generator: at scale 0.01 the day meets the token, cache, KV-length and hourly-revenue targets") {
  DayProfile profile = load_day_profile("deepseek-day");
  DayGenerator day(profile, {.scale = 0.01, .seed = 1});
  TraceStats stats;
  int64_t last = 0;
  bool ordered = true, in_day = true, lengths_ok = true;
  for (Request r; day.next(r);) {
    stats.add(r, {});
    ordered = ordered && r.arrival_ns >= last;
    last = r.arrival_ns;
    in_day = in_day && r.arrival_ns < int64_t{24} * 3600 * 1'000'000'000;
    const int32_t out_max = day.models()[r.model] == "deepseek-r1" ? 40960 : 8192;
    lengths_ok = lengths_ok && r.input_tokens >= 1 && r.input_tokens <= 57344 && r.output_tokens >= 1 &&
                 r.output_tokens <= out_max && r.cached_tokens >= 0 && r.cached_tokens < r.input_tokens &&
                 r.cached_tokens % 64 == 0;
  }
  CHECK(ordered);
  CHECK(in_day);
  CHECK(lengths_ok);
  CHECK(stats.requests() == Approx(day.expected_requests()).epsilon(0.005));
  CHECK(stats.input_tokens() == Approx(608e9 * 0.01).epsilon(0.02));
  CHECK(stats.output_tokens() == Approx(168e9 * 0.01).epsilon(0.02));
  CHECK(stats.cached_fraction() == Approx(0.563).margin(0.01));
  CHECK(stats.kv_len_per_output_token() == Approx(4989).epsilon(0.05));
  auto shares = published_shares();
  REQUIRE(shares.size() == 24);
  REQUIRE(stats.hours().size() == 24);
  const double revenue = stats.revenue_usd();
  for (const auto& [hour, h] : stats.hours()) {
    INFO("hour " << hour);
    double share = r1_revenue_usd(h.cached_tokens, h.input_tokens - h.cached_tokens, h.output_tokens) / revenue;
    CHECK(share == Approx(shares[hour]).epsilon(0.10));
  }
}

TEST_CASE("generator: the same seed gives the same requests, another seed other requests") {
  DayProfile profile = load_day_profile("deepseek-day");
  DayGenerator a(profile, {.scale = 0.0005, .seed = 7});
  DayGenerator b(profile, {.scale = 0.0005, .seed = 7});
  DayGenerator c(profile, {.scale = 0.0005, .seed = 8});
  bool same = true;
  int64_t differ = 0, n = 0;
  for (Request x, y, z; a.next(x);) {
    REQUIRE(b.next(y));
    same = same && x.arrival_ns == y.arrival_ns && x.input_tokens == y.input_tokens &&
           x.cached_tokens == y.cached_tokens && x.output_tokens == y.output_tokens && x.model == y.model &&
           x.session == y.session;
    if (c.next(z) && z.input_tokens != x.input_tokens) ++differ;
    ++n;
  }
  Request extra;
  CHECK_FALSE(b.next(extra));
  CHECK(same);
  CHECK(differ > n / 2);
}

namespace {

// The requests of a generated day that arrive in its first `seconds`, summed.
struct Opening {
  double requests = 0, input = 0, cached = 0, output = 0;
};
Opening opening(const DayProfile& profile, double scale, uint64_t seed, double seconds) {
  DayGenerator day(profile, {.scale = scale, .seed = seed});
  Opening o;
  for (Request r; day.next(r) && r.arrival_ns < static_cast<int64_t>(seconds * 1e9);) {
    o.requests += 1;
    o.input += r.input_tokens;
    o.cached += r.cached_tokens;
    o.output += r.output_tokens;
  }
  return o;
}

}  // namespace

// Scale 2 is "twice the traffic": a Poisson process at twice the rate (in law, two independent days superposed) with
// the same request mix. Over the day's first 20 s (about 30 k requests at scale 1) the count's sampling noise is
// about 0.6 % and the means' about 2 % (lognormal lengths): the tolerances are several of those and nothing more.
TEST_CASE("generator: at scale 2 the rate doubles with the same length and prefix distributions, same seed alike") {
  DayProfile profile = load_day_profile("deepseek-day");
  Opening one = opening(profile, 1.0, 11, 20.0);
  Opening two = opening(profile, 2.0, 12, 20.0);
  REQUIRE(one.requests > 10000);
  CHECK(two.requests / one.requests == Approx(2.0).epsilon(0.04));
  CHECK(two.input / two.requests == Approx(one.input / one.requests).epsilon(0.08));
  CHECK(two.output / two.requests == Approx(one.output / one.requests).epsilon(0.08));
  CHECK(two.cached / two.input == Approx(one.cached / one.input).epsilon(0.05));
  // Deterministic per seed: the same scale and seed give the same requests.
  DayGenerator a(profile, {.scale = 2.0, .seed = 5});
  DayGenerator b(profile, {.scale = 2.0, .seed = 5});
  CHECK(a.expected_requests() == Approx(2.0 * a.solution().requests_per_day));
  bool same = true;
  Request x, y;
  for (int i = 0; i < 20000 && a.next(x); ++i) {
    REQUIRE(b.next(y));
    same = same && x.arrival_ns == y.arrival_ns && x.input_tokens == y.input_tokens &&
           x.cached_tokens == y.cached_tokens && x.output_tokens == y.output_tokens && x.model == y.model;
  }
  CHECK(same);
}

TEST_CASE("generator: the solved model reproduces the targets exactly in expectation") {
  DayProfile profile = load_day_profile("deepseek-day");
  DaySolution s = solve_day(profile);
  CHECK(s.requests_per_day * s.input_mean == Approx(608e9).epsilon(1e-9));
  CHECK(s.requests_per_day * s.output_mean == Approx(168e9).epsilon(1e-9));
  CHECK(s.cached_fraction == Approx(0.563).epsilon(1e-9));
  CHECK(s.kv_len_per_output_token == Approx(4989).epsilon(1e-9));
  CHECK(s.continuation_probability > 0);
  CHECK(s.continuation_probability < 1);
  // R1 reasoning requests carry most of the output, chat requests most of the input.
  CHECK(s.classes[1].output_mean > 4 * s.classes[0].output_mean);
  CHECK(s.classes[0].input_mean > 2 * s.classes[1].input_mean);
}

TEST_CASE("generator: truncated lognormal moments and the expected prefix agree with direct sampling") {
  moesim::Rng rng(42);
  boost::random::normal_distribution<double> normal;
  const double mu = std::log(3000.0), sigma = 1.2, max = 57344, mu_n = std::log(700.0), sigma_n = 1.1;
  double sum = 0, sum_sq = 0, prefix = 0;
  int64_t kept = 0;
  while (kept < 400000) {
    double x = std::exp(mu + sigma * normal(rng));
    if (x > max) continue;
    ++kept;
    sum += x;
    sum_sq += x * x;
    double n = std::exp(mu_n + sigma_n * normal(rng));
    if (x - n >= 64) prefix += std::floor((x - n) / 64) * 64;
  }
  CHECK(sum / kept == Approx(truncated_lognormal_moment(mu, sigma, max, 1)).epsilon(0.01));
  CHECK(sum_sq / kept == Approx(truncated_lognormal_moment(mu, sigma, max, 2)).epsilon(0.03));
  CHECK(prefix / kept == Approx(expected_prefix(mu, sigma, max, mu_n, sigma_n, 64)).epsilon(0.01));
  CHECK(truncated_lognormal_moment(mu_for_truncated_mean(2500, 0.9, 8192), 0.9, 8192, 1) == Approx(2500));
}

TEST_CASE("generator: the demand shape gives every hour exactly its share and inverts its cumulative") {
  auto shares = load_hourly_demand(sample("deepseek-day-hourly.csv"));
  auto published = published_shares();
  REQUIRE(shares.size() == 24);
  DemandShape shape(shares);
  for (int h = 0; h < 24; ++h) {
    CHECK(shares[h] == Approx(published[h]).epsilon(1e-12));
    CHECK(shape.cdf(h + 1) - shape.cdf(h) == Approx(shares[h]).epsilon(1e-9));
    CHECK(shape.density(h + 0.25) > 0);
    // continuous inside the hour (at its midpoint)
    CHECK(shape.density(h + 0.5 - 1e-9) == Approx(shape.density(h + 0.5)).epsilon(1e-6));
  }
  for (double t = 0.01; t < 24; t += 0.37) CHECK(shape.inverse_cdf(shape.cdf(t)) == Approx(t).epsilon(1e-9));
  CHECK(shape.inverse_cdf(0) == 0);
  CHECK(shape.inverse_cdf(1) == Approx(24));
}

TEST_CASE("generator: only the income column of the hourly table feeds the generator") {
  TempDir dir;
  std::ifstream in(sample("deepseek-day-hourly.csv"));
  std::string header, line, changed;
  std::getline(in, header);
  changed = header + "\n";
  while (std::getline(in, line)) {
    // Replace the node and cost columns with nonsense; keep hour and income.
    auto first = line.find(',');
    auto last = line.rfind(',');
    changed += line.substr(0, first) + ",1.00,9" + line.substr(last) + "\n";
  }
  auto altered = dir.write("hourly.csv", changed);
  CHECK(load_hourly_demand(altered) == load_hourly_demand(sample("deepseek-day-hourly.csv")));
  auto no_income = dir.write("no_income.csv", "hour_start_utc8,avg_h800_nodes\n2025-02-27 12:00,278\n");
  CHECK_THROWS_WITH(load_hourly_demand(no_income), Contains("theoretical_income_usd_digitized"));
  auto gap = dir.write("gap.csv", header + "\n2025-02-27 12:00,1,1,5\n2025-02-27 14:00,1,1,5\n");
  CHECK_THROWS_WITH(load_hourly_demand(gap), Contains("gap.csv:3: hour_start_utc8: hours must be consecutive"));
}

TEST_CASE("generator: a profile with an unknown key or no solution is an error naming the file") {
  TempDir dir;
  std::ifstream in(moesim::traces::test::sample("../profiles/deepseek-day.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("\"cache_unit_tokens\"");
  REQUIRE(at != std::string::npos);
  auto unknown = dir.write("unknown.json", std::string(text).insert(at, "\"cache_units\": 3, "));
  CHECK_THROWS_WITH(load_day_profile(unknown.string()), Contains("unknown.json: cache_units: unknown key"));
  // Equal output means: the two input means cannot be told apart.
  std::string equal = text;
  equal.replace(equal.find("\"mean\": 2000"), 12, "\"mean\": 450");
  auto same_outputs = dir.write("same.json", equal);
  CHECK_THROWS_WITH(solve_day(load_day_profile(same_outputs.string())), Contains("different output means"));
  // Very long R1 outputs leave no room for R1 inputs under the KV-length target.
  std::string longer = text;
  longer.replace(longer.find("\"mean\": 2000"), 12, "\"mean\": 4000");
  auto long_outputs = dir.write("long.json", longer);
  CHECK_THROWS_WITH(solve_day(load_day_profile(long_outputs.string())), Contains("no valid request mix"));
  CHECK_THROWS_AS(DayGenerator(load_day_profile("deepseek-day"), {.scale = 0, .seed = 1}), InputError);
}
