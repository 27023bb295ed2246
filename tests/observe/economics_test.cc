#include "sim/observe/economics.h"

#include <catch2/catch.hpp>

using namespace moesim::observe;

namespace {
Prices eight_gpus_at_2() {
  Prices p;
  p.prefill = p.decode = {.gpus_per_node = 8, .usd_per_gpu_hour = 2.0};
  return p;
}
}  // namespace

TEST_CASE("economics: cost is node-seconds x GPUs per node x the GPU-hour price") {
  Money m = money(eight_gpus_at_2(), {.prefill = 3600.0 * 4, .decode = 3600.0 * 6}, {});  // ten node-hours
  CHECK(m.cost_usd == Approx(160.0));
  CHECK(m.revenue_usd == 0.0);
  CHECK(m.margin == Approx(-1.0));
}

TEST_CASE("economics: pools of one rate are billed on their summed node-seconds, whatever the split") {
  // One multiplication over the sum: a run's cost does not move in its last bits with the split between the pools.
  const Prices p = eight_gpus_at_2();
  const double prefill = 1234.5678, decode = 98765.4321;
  CHECK(money(p, {prefill, decode}, {}).cost_usd == money(p, {prefill + decode, 0.0}, {}).cost_usd);
}

TEST_CASE("economics: pools of different kinds are each billed at their own GPUs per node and price") {
  Prices p;
  p.prefill = {.gpus_per_node = 8, .usd_per_gpu_hour = 4.0};  // an H200 node
  p.decode = {.gpus_per_node = 4, .usd_per_gpu_hour = 6.4};   // a GB200 tray
  Money m = money(p, {.prefill = 3600.0 * 2, .decode = 3600.0 * 5}, {});
  CHECK(m.cost_usd == Approx(2 * 8 * 4.0 + 5 * 4 * 6.4));
}

TEST_CASE("economics: revenue prices cached input, uncached input and output per million tokens") {
  Prices p;  // R1 prices: 0.14, 0.55, 2.19 $ per M tokens
  Money m = money(p, {}, {.input_cached = 2'000'000, .input_uncached = 1'000'000, .output = 1'000'000});
  CHECK(m.revenue_usd == Approx(2 * 0.14 + 0.55 + 2.19));
  CHECK(m.cost_usd == 0.0);
  CHECK(m.margin == 0.0);  // nothing cost anything: no margin to state
}

TEST_CASE("economics: the margin is revenue over cost, less one") {
  Money m = money(eight_gpus_at_2(), {.prefill = 3600.0}, {.output = 16'000'000 / 2});  // $16 of GPU time, 8 M output tokens
  CHECK(m.margin == Approx((8 * 2.19 - 16.0) / 16.0));
}

TEST_CASE("economics: a ratio over nothing is zero") {
  CHECK(ratio_or_zero(5.0, 0.0) == 0.0);
  CHECK(ratio_or_zero(5.0, -1.0) == 0.0);
  CHECK(ratio_or_zero(6.0, 3.0) == 2.0);
}
