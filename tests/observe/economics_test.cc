#include "sim/observe/economics.h"

#include <catch2/catch.hpp>

using namespace moesim::observe;

TEST_CASE("economics: cost is node-seconds x GPUs per node x the GPU-hour price") {
  Prices p;
  p.usd_per_gpu_hour = 2.0;
  p.gpus_per_node = 8;
  Money m = money(p, 3600.0 * 10, {});  // ten node-hours
  CHECK(m.cost_usd == Approx(160.0));
  CHECK(m.revenue_usd == 0.0);
  CHECK(m.margin == Approx(-1.0));
}

TEST_CASE("economics: revenue prices cached input, uncached input and output per million tokens") {
  Prices p;  // R1 prices: 0.14, 0.55, 2.19 $ per M tokens
  Money m = money(p, 0.0, {.input_cached = 2'000'000, .input_uncached = 1'000'000, .output = 1'000'000});
  CHECK(m.revenue_usd == Approx(2 * 0.14 + 0.55 + 2.19));
  CHECK(m.cost_usd == 0.0);
  CHECK(m.margin == 0.0);  // nothing cost anything: no margin to state
}

TEST_CASE("economics: the margin is revenue over cost, less one") {
  Prices p;
  p.gpus_per_node = 8;
  p.usd_per_gpu_hour = 2.0;
  Money m = money(p, 3600.0, {.output = 16'000'000 / 2});  // $16 of GPU time, 8 M output tokens
  CHECK(m.margin == Approx((8 * 2.19 - 16.0) / 16.0));
}

TEST_CASE("economics: a ratio over nothing is zero") {
  CHECK(ratio_or_zero(5.0, 0.0) == 0.0);
  CHECK(ratio_or_zero(5.0, -1.0) == 0.0);
  CHECK(ratio_or_zero(6.0, 3.0) == 2.0);
}
