// LogHistogram (sim/observe/histogram.h): its table lookup puts every value in the bin its log2 definition gives,
// at and next to every bin's edge and over random values of the whole range; quantiles read the bins' middles.
#include "sim/observe/histogram.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>

#include "common/rng.h"

using moesim::observe::LogHistogram;

TEST_CASE("the histogram's lookup gives the log2 definition's bin next to every bin edge") {
  // Each bin's edge to a few parts in 1e12, then the doubles 64 ulps around it.
  for (int i = 0; i <= 3200; ++i) {
    double edge = 1e-6 * std::exp2(static_cast<double>(i) / 70.0);
    double x = edge;
    for (int k = 0; k < 64; ++k) x = std::nextafter(x, 0.0);
    for (int k = 0; k < 128; ++k, x = std::nextafter(x, INFINITY)) {
      INFO("x = " << x);
      REQUIRE(LogHistogram::index(x) == LogHistogram::bin_by_log2(x));
    }
  }
}

TEST_CASE("the histogram's lookup gives the log2 definition's bin over random values and at the range's ends") {
  auto rng = moesim::Rng::stream(11, "tests.histogram");
  for (int i = 0; i < 2'000'000; ++i) {
    double x = std::exp2(rng.uniform() * 70.0 - 30.0);  // 1e-9 to 1e12: below the first bin to past the last
    INFO("x = " << x);
    REQUIRE(LogHistogram::index(x) == LogHistogram::bin_by_log2(x));
  }
  for (double x :
       std::initializer_list<double>{0.0, -1.0, 1e-6, std::nextafter(1e-6, 1.0), 1e7, 1e300, INFINITY, NAN}) {
    INFO("x = " << x);
    REQUIRE(LogHistogram::index(x) == (std::isinf(x) ? 3199 : LogHistogram::bin_by_log2(x)));
  }
}

TEST_CASE("a histogram's quantile is its bin's geometric middle clamped to the samples seen") {
  LogHistogram h;
  for (int i = 1; i <= 100; ++i) h.add(0.01 * i);
  REQUIRE(h.count() == 100);
  REQUIRE(h.quantile(0.0) == Approx(0.01).epsilon(0.01));
  REQUIRE(h.quantile(0.5) == Approx(0.5).epsilon(0.01));
  REQUIRE(h.quantile(1.0) == Approx(1.0).epsilon(0.01));
  REQUIRE(h.max() == 1.0);
}
