#include "sim/observe/metrics.h"

#include <catch2/catch.hpp>

#include "sim/observe/histogram.h"
#include "sim/observe/run_report.h"

using namespace moesim::observe;

namespace {

MetricsConfig config_8_gpus() {
  MetricsConfig c;  // $2 per GPU-hour, R1 prices
  c.prices.prefill.gpus_per_node = c.prices.decode.gpus_per_node = 8;
  return c;
}

}  // namespace

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
  RunMetrics m(config_8_gpus());
  m.on_fleet_size({0, 4, 18, 1, 1});                 // 22 nodes from t = 0
  m.on_fleet_size({1800'000'000'000, 8, 18, 2, 1});  // 26 nodes from 30 min
  m.on_request_done(
      {0, 1'000'000'000, 1'000'000'000, 11'000'000'000, 1'000'000, 600'000, 200'000, 1, false, nullptr, 0, 0});
  m.finish(3600'000'000'000);
  auto s = make_report(m, {});
  CHECK(s.nodes.avg == Approx(24.0));
  CHECK(s.nodes.peak == 26);
  CHECK(s.economics.cost_usd == Approx(24.0 * 8 * 2.0));
  double revenue = (600'000 * 0.14 + 400'000 * 0.55 + 200'000 * 2.19) / 1e6;
  CHECK(s.economics.revenue_usd == Approx(revenue));
  CHECK(s.economics.margin == Approx((revenue - 384.0) / 384.0));
  CHECK(s.latency.ttft_p50_s == Approx(1.0).epsilon(0.01));
  CHECK(s.latency.user_tokens_per_s_mean == Approx(199'999 / 10.0));
  // The hourly ledger carries the same hour.
  auto csv = m.ledger().csv(false);
  CHECK(csv.find("0,8.000,18.000,600000,400000,200000,1,") == std::string::npos);  // nodes are hour averages
  CHECK(csv.find("0,6.000,18.000,600000,400000,200000,1,") != std::string::npos);
}

TEST_CASE("metrics: a rejected request counts by its reason and adds no tokens or latency") {
  RunMetrics m(config_8_gpus());
  m.on_request_done({0, -1, -1, 5, 1000, 0, 10, 0, true, "too long", 0, 0});
  m.on_request_done({0, -1, -1, 5, 1000, 0, 10, 0, true, nullptr, 0, 0});
  m.finish(60'000'000'000);
  CHECK(m.requests().rejected == 2);
  CHECK(m.requests().completed == 0);
  CHECK(m.requests().rejected_by_reason.at("too long") == 1);
  CHECK(m.requests().rejected_by_reason.at("unknown") == 1);
  CHECK(m.requests().input_tokens() == 0);
  CHECK(m.latency().ttft().count() == 0);
}

TEST_CASE("metrics: node-time is split at minute edges into the per-minute ledger") {
  RunMetrics m(config_8_gpus());
  m.on_fleet_size({30'000'000'000, 2, 4, 1, 1});  // 6 nodes from 30 s
  m.finish(90'000'000'000);                       // to 90 s
  const auto& rows = m.ledger().rows();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].prefill_node_s == Approx(60.0));  // 30 s x 2 nodes
  CHECK(rows[1].decode_node_s == Approx(120.0));  // 30 s x 4 nodes
  CHECK(m.node_time().prefill_node_s() + m.node_time().decode_node_s() == Approx(360.0));
}
