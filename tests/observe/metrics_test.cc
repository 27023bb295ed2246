#include "sim/observe/metrics.h"

#include <catch2/catch.hpp>

#include "sim/observe/histogram.h"

using namespace moesim::observe;

TEST_CASE("histogram: quantiles come back within the 1 % bin resolution") {
  LogHistogram h;
  for (int i = 1; i <= 100000; ++i) h.add(i * 1e-3);  // uniform on (0, 100]
  CHECK(h.quantile(0.5) == Approx(50.0).epsilon(0.01));
  CHECK(h.quantile(0.99) == Approx(99.0).epsilon(0.01));
  CHECK(h.mean() == Approx(50.0005).epsilon(1e-9));
  CHECK(h.min() == Approx(1e-3));
  CHECK(h.max() == Approx(100.0));
  LogHistogram empty;
  CHECK(empty.quantile(0.5) == 0.0);
}

TEST_CASE("metrics: node-time, cost and revenue follow the fleet size and the tokens served") {
  Prices prices;  // $2 per GPU-hour, R1 prices
  prices.gpus_per_node = 8;
  RunMetrics m(prices);
  m.on_fleet_size({0, 4, 18, 1, 1});                 // 22 nodes from t = 0
  m.on_fleet_size({1800'000'000'000, 8, 18, 2, 1});  // 26 nodes from 30 min
  m.on_request_done({0, 1'000'000'000, 1'000'000'000, 11'000'000'000, 1'000'000, 600'000, 200'000, 1, false, nullptr});
  m.finish(3600'000'000'000);
  auto s = m.summary();
  CHECK(s["nodes_avg"].get<double>() == Approx(24.0));
  CHECK(s["nodes_peak"] == 26);
  CHECK(s["cost_usd"].get<double>() == Approx(24.0 * 8 * 2.0));
  double revenue = (600'000 * 0.14 + 400'000 * 0.55 + 200'000 * 2.19) / 1e6;
  CHECK(s["revenue_usd"].get<double>() == Approx(revenue));
  CHECK(s["margin"].get<double>() == Approx((revenue - 384.0) / 384.0));
  CHECK(s["ttft_p50_s"].get<double>() == Approx(1.0).epsilon(0.01));
  CHECK(s["user_tokens_per_s_mean"].get<double>() == Approx(199'999 / 10.0));
  // The hourly ledger carries the same hour.
  auto csv = m.ledger_csv(false);
  CHECK(csv.find("0,8.000,18.000,600000,400000,200000,1,") == std::string::npos);  // nodes are hour averages
  CHECK(csv.find("0,6.000,18.000,600000,400000,200000,1,") != std::string::npos);
}
