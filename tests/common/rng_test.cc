// The one random-number generator (common/rng.h): the seeding rule, independence of purposes and keys, the
// distributions, and that it is a UniformRandomBitGenerator (Boost.Random draws from it).
#include "common/rng.h"

#include <boost/random/normal_distribution.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using moesim::Rng;

TEST_CASE("rng: a stream's draws depend only on the seed, its purpose and its key") {
  auto x = Rng::stream(42, "traces.arrivals");
  auto y = Rng::stream(42, "traces.arrivals");
  for (int i = 0; i < 100; ++i) REQUIRE(x.next_u64() == y.next_u64());
  // Another purpose, seed or key differs.
  auto reference = Rng::stream(42, "traces.arrivals");
  auto purpose = Rng::stream(42, "traces.lengths");
  auto seed = Rng::stream(43, "traces.arrivals");
  auto key = Rng::stream(42, "traces.arrivals", 1);
  int same = 0;
  for (int i = 0; i < 100; ++i) {
    uint64_t v = reference.next_u64();
    same += (purpose.next_u64() == v) + (seed.next_u64() == v) + (key.next_u64() == v);
  }
  REQUIRE(same == 0);
}

TEST_CASE("rng: a keyed draw is the same whatever else was drawn before it, in any order") {
  // What a policy comparison needs: request 7's MTP draws do not depend on when, or after whom, it is served.
  std::vector<double> forward, backward;
  for (uint64_t k = 0; k < 10; ++k) forward.push_back(Rng::stream(9, "cluster.mtp", k).uniform());
  for (uint64_t k = 10; k-- > 0;) backward.push_back(Rng::stream(9, "cluster.mtp", k).uniform());
  for (size_t i = 0; i < 10; ++i) REQUIRE(forward[i] == backward[9 - i]);
}

TEST_CASE("rng: neighbouring keys give uncorrelated first draws") {
  const int n = 20'000;
  double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
  for (int k = 0; k < n; ++k) {
    double x = Rng::stream(1, "cluster.mtp", static_cast<uint64_t>(k)).uniform();
    double y = Rng::stream(1, "cluster.mtp", static_cast<uint64_t>(k) + 1).uniform();
    sx += x;
    sy += y;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  double cov = sxy / n - sx / n * sy / n;
  double r = cov / std::sqrt((sxx / n - sx * sx / n / n) * (syy / n - sy * sy / n / n));
  REQUIRE(std::fabs(r) < 0.03);
  REQUIRE(sx / n == Approx(0.5).margin(0.01));
}

TEST_CASE("rng: uniform, exponential, normal, Bernoulli and Poisson draws have the right moments") {
  Rng rng(1);
  const int n = 200'000;
  double su = 0, se = 0, sn = 0, snn = 0, sb = 0, sp = 0, sp_big = 0;
  for (int i = 0; i < n; ++i) {
    su += rng.uniform();
    se += rng.exponential(2.0);
    double z = rng.normal();
    sn += z;
    snn += z * z;
    sb += rng.bernoulli(0.85) ? 1 : 0;
    sp += static_cast<double>(rng.poisson(3.5));
    sp_big += static_cast<double>(rng.poisson(100.0));
  }
  REQUIRE(su / n == Approx(0.5).margin(0.005));
  REQUIRE(se / n == Approx(2.0).epsilon(0.02));
  REQUIRE(sn / n == Approx(0.0).margin(0.01));
  REQUIRE(snn / n == Approx(1.0).epsilon(0.02));
  REQUIRE(sb / n == Approx(0.85).margin(0.005));
  REQUIRE(sp / n == Approx(3.5).epsilon(0.01));
  REQUIRE(sp_big / n == Approx(100.0).epsilon(0.005));
}

TEST_CASE("rng: below(n) stays in range and uniform_open0 never returns 0") {
  Rng rng(3);
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 70'000; ++i) {
    uint64_t v = rng.below(7);
    REQUIRE(v < 7);
    ++hits[v];
    REQUIRE(rng.uniform_open0() > 0.0);
  }
  for (int h : hits) REQUIRE(h == Approx(10'000).epsilon(0.05));
}

TEST_CASE("rng: Boost.Random distributions draw from it as from any UniformRandomBitGenerator") {
  Rng rng(5);
  boost::random::normal_distribution<double> normal(2.0, 0.5);
  double s = 0;
  for (int i = 0; i < 50'000; ++i) s += normal(rng);
  REQUIRE(s / 50'000 == Approx(2.0).epsilon(0.01));
}
