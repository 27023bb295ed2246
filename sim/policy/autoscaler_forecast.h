// Autoscaler `forecast`: the `slo` controller fed a load scaled ahead by a forecast of the day's shape, so that units
// ordered now (which serve only after startup_s) meet the demand of when they start. The forecast is deliberately
// not the shape that generates the load: it is the day profile's hourly shares as another day would show them
// (each hour's share times lognormal noise of sigma `forecast_noise`, drawn from the stream of seed + 1, then
// renormalized) and shifted by a timing error (`forecast_error_s`: positive means the forecast expects each change
// that much later than it comes). At a decision at time t (into the day) it scales the observed offered loads by
// f(t + lead) / f(t), f the forecast's rate, lead = startup_s + interval_s, the ratio held within [0.25, 4], and
// hands the result to the `slo` rules. With no shape (a trace or constant workload) it is `slo`.
//
//   ForecastDriven p(params);  // params.forecast_hourly_shares from the day profile, params.day_offset_s, ...
//   FleetTarget t = p.decide(observation);
#pragma once

#include <vector>

#include "sim/policy/autoscaler.h"
#include "sim/policy/autoscaler_slo.h"

namespace moesim::policy {

class ForecastDriven final : public AutoscalerPolicy {
 public:
  explicit ForecastDriven(const AutoscalerParams& p);
  FleetTarget decide(const FleetObservation& o) override;

  /// The forecast's rate at `t_s` seconds into the day, relative to the day's mean (1 = an average hour).
  double forecast_rate(double t_s) const;
  /// The factor the observed load is scaled by at `now_s` seconds into the run.
  double lead_ratio(double now_s) const;

 private:
  AutoscalerParams p_;
  SloDriven slo_;
  std::vector<double> shares_;  // the forecast's hourly shares (noisy, renormalized); empty: no forecast
};

}  // namespace moesim::policy
