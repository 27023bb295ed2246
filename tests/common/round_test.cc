// round_nearest (common/round.h) is std::llround, bit for bit: halves, the doubles next to them, the integers where a
// double's spacing reaches 1 and 2, and a million random magnitudes across the range the simulation uses.
#include "common/round.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/rng.h"

using moesim::round_nearest;

TEST_CASE("round_nearest gives std::llround's integer at halves and next to them") {
  std::vector<double> xs = {0.0,
                            -0.0,
                            0.5,
                            -0.5,
                            1.5,
                            -1.5,
                            2.5,
                            -2.5,
                            0.49999999999999994,
                            -0.49999999999999994,
                            4503599627370495.5,
                            -4503599627370495.5,
                            4503599627370496.0,
                            9007199254740993.0,
                            1e18,
                            -1e18,
                            9.2e18,
                            -9.2e18,
                            1e-300,
                            123456789.5};
  for (double x : std::vector<double>(xs)) {
    xs.push_back(std::nextafter(x, INFINITY));
    xs.push_back(std::nextafter(x, -INFINITY));
  }
  for (double x : xs) {
    INFO("x = " << x);
    REQUIRE(round_nearest(x) == std::llround(x));
  }
}

TEST_CASE("round_nearest gives std::llround's integer over random magnitudes from 1e-12 to 1e18") {
  auto rng = moesim::Rng::stream(7, "tests.round");
  for (int i = 0; i < 1'000'000; ++i) {
    double x = std::exp2(rng.uniform() * 100.0 - 40.0) * (rng.uniform() < 0.5 ? -1.0 : 1.0);
    double half = std::floor(x) + 0.5;  // every tenth draw a half, or one ulp off it
    if (i % 10 == 0) x = i % 20 == 0 ? half : std::nextafter(half, i % 40 == 0 ? INFINITY : -INFINITY);
    INFO("x = " << x);
    REQUIRE(round_nearest(x) == std::llround(x));
  }
}
