// The informed baselines (`oracle` in the prefill and decode balancer registries, `forecast` among the autoscalers):
// what each knows that its siblings do not, and that it uses it. The contracts every balancer and autoscaler keeps
// are in rank_balancer_contract_test.cc and autoscaler_contract_test.cc, which run over these too.
#include <catch2/catch.hpp>
#include <vector>

#include "sim/policy/autoscaler_forecast.h"
#include "sim/policy/autoscaler_slo.h"
#include "sim/policy/decode_oracle.h"
#include "sim/policy/decode_published.h"
#include "sim/policy/prefill_oracle.h"

using namespace moesim::policy;

TEST_CASE("decode oracle: of two ranks alike now, it avoids the one whose requests will grow longest") {
  std::vector<DecodeRankView> views(2, DecodeRankView{1, 1000.0, 16, 1e6});
  DecodeOracle oracle;
  DecodePublished published;
  oracle.begin_admissions(views);
  // Rank 0's request will emit 20,000 more tokens, rank 1's 10: the views (what a real balancer sees) are equal.
  oracle.admit(0, {1000, 20000});
  oracle.admit(1, {1000, 10});
  views[0].sequences = views[1].sequences = 2;
  views[0].kv_tokens = views[1].kv_tokens = 2000.0;
  oracle.begin_admissions(views);
  published.begin_admissions(views);
  CHECK(oracle.pick(views, {500, 500}) == 1);
  // Without output lengths it cannot tell them apart, and neither can the published balancer: the lower index wins.
  DecodeOracle blind;
  blind.begin_admissions(views);
  CHECK(blind.pick(views, {500, 0}) == 0);
  CHECK(published.pick(views, {500}) == 0);
}

TEST_CASE("prefill oracle: it weighs queued tokens and attention pairs by what they cost") {
  // Rank 0 holds many tokens with little attention, rank 1 few tokens of long contexts.
  std::vector<PrefillRankView> views = {{10000, 1e7, 2}, {2000, 4e9, 1}};
  PrefillRequestView q{1000, 1000};
  PrefillOracle tokens_cost({.ranks = 2, .prefill_s_per_token = 1e-6, .prefill_s_per_pair = 1e-12});
  CHECK(tokens_cost.pick(views, q) == 1);  // 10 ms against 6 ms of work ahead
  PrefillOracle pairs_cost({.ranks = 2, .prefill_s_per_token = 1e-6, .prefill_s_per_pair = 1e-10});
  CHECK(pairs_cost.pick(views, q) == 0);  // 11 ms against 402 ms
  PrefillOracle unknown({.ranks = 2});
  CHECK(unknown.pick(views, q) == 1);  // no costs known: tokens alone
}

namespace {

// The reference day's hourly shape, hours from 12:00 (UTC+8): low at night, a morning ramp from hour 18.
std::vector<double> day_shape() {
  std::vector<double> s = {1.15, 1.22, 1.30, 1.32, 1.30, 1.19, 1.14, 1.26, 1.31, 1.32, 1.33, 1.27,
                           0.93, 0.77, 0.56, 0.34, 0.27, 0.27, 0.34, 0.59, 0.99, 1.26, 1.30, 1.28};
  double sum = 0.0;
  for (double x : s) sum += x;
  for (double& x : s) x /= sum;
  return s;
}

AutoscalerParams forecast_params(double error_s, double noise) {
  AutoscalerParams p;
  p.config.policy = "forecast";
  p.forecast_hourly_shares = day_shape();
  p.day_offset_s = 18 * 3600.0;  // the run starts at 06:00
  // lead: start-up 600 s + interval 300 s (the defaults)
  p.config.forecast_error_s = error_s;
  p.config.forecast_noise = noise;
  return p;
}

FleetObservation ramp_observation(double now_s) {
  FleetObservation o;
  o.now_s = now_s;
  o.prefill_units = 10;
  o.decode_units = 5;
  o.prefill_capacity_per_unit = 1e5;
  o.prefill_offered_tokens_per_s = 8e5;
  o.decode_capacity_per_unit = 2000;
  o.decode_offered_per_s = 80;
  o.decode_hold_s = 100;
  o.decode_active = 8000;
  return o;
}

}  // namespace

TEST_CASE("forecast autoscaler: on the morning ramp it orders more units than slo, on the same observation") {
  ForecastDriven forecast(forecast_params(0.0, 0.0));
  SloDriven slo(forecast_params(0.0, 0.0));
  // 07:30: the forecast expects the load 15 minutes on to be higher than now.
  auto o = ramp_observation(1.5 * 3600.0);
  CHECK(forecast.lead_ratio(o.now_s) > 1.1);
  FleetTarget f = forecast.decide(o);
  FleetTarget s = slo.decide(o);
  CHECK(f.decode_units > s.decode_units);
  CHECK(f.prefill_units > s.prefill_units);
  // In the evening decline (run time 18 h: midnight) it expects less.
  CHECK(forecast.lead_ratio(18 * 3600.0) < 1.0);
}

TEST_CASE("forecast autoscaler: its forecast is not the generating shape (noise from another seed, timing error)") {
  ForecastDriven exact(forecast_params(0.0, 0.0));
  ForecastDriven late(forecast_params(1800.0, 0.0));
  ForecastDriven noisy(forecast_params(0.0, 0.1));
  // Exact: at an hour's midpoint the rate is that hour's share, relative to an average hour.
  CHECK(exact.forecast_rate(20.5 * 3600.0) == Approx(day_shape()[20] * 24.0).epsilon(1e-9));
  // Late by half an hour: it sees at 21:00 what the exact one sees at 20:30.
  CHECK(late.forecast_rate(21.0 * 3600.0) == Approx(exact.forecast_rate(20.5 * 3600.0)));
  CHECK(noisy.forecast_rate(20.5 * 3600.0) != Approx(day_shape()[20] * 24.0).epsilon(1e-3));
  // Without a shape (a trace or a constant workload) it decides as slo does.
  AutoscalerParams flat = forecast_params(0.0, 0.0);
  flat.forecast_hourly_shares.clear();
  ForecastDriven none(flat);
  SloDriven slo(flat);
  auto o = ramp_observation(1.5 * 3600.0);
  FleetTarget a = none.decide(o);
  FleetTarget b = slo.decide(o);
  CHECK(a.decode_units == b.decode_units);
  CHECK(a.prefill_units == b.prefill_units);
}
