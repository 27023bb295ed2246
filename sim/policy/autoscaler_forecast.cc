#include "sim/policy/autoscaler_forecast.h"

#include <algorithm>
#include <cmath>

#include "common/rng.h"

namespace moesim::policy {

namespace {
constexpr double kHourS = 3600.0;
constexpr double kMinRatio = 0.25;
constexpr double kMaxRatio = 4.0;
}  // namespace

ForecastDriven::ForecastDriven(const AutoscalerParams& p) : p_(p), slo_(p) {
  if (p.forecast_hourly_shares.empty()) return;
  // Another day's hours: the same profile, each hour off by its own noise, from a stream the load never draws from.
  Rng rng = Rng::stream(p.seed + 1, "policy.forecast.hourly");
  double sum = 0.0;
  for (double share : p.forecast_hourly_shares) {
    double noisy = share * std::exp(p.config.forecast_noise * rng.normal() -
                                    0.5 * p.config.forecast_noise * p.config.forecast_noise);
    shares_.push_back(noisy);
    sum += noisy;
  }
  for (double& s : shares_) s /= sum;
}

double ForecastDriven::forecast_rate(double t_s) const {
  if (shares_.empty()) return 1.0;
  const auto hours = static_cast<double>(shares_.size());
  // Linear between the hours' midpoints, the day wrapping around; the forecast runs `forecast_error_s` late.
  double t_h = std::fmod((t_s - p_.config.forecast_error_s) / kHourS - 0.5, hours);
  if (t_h < 0) t_h += hours;
  auto h0 = static_cast<size_t>(std::floor(t_h));
  double frac = t_h - static_cast<double>(h0);
  size_t h1 = (h0 + 1) % shares_.size();
  return hours * ((1.0 - frac) * shares_[h0 % shares_.size()] + frac * shares_[h1]);
}

double ForecastDriven::lead_ratio(double now_s) const {
  double t = p_.day_offset_s + now_s;
  double now_rate = forecast_rate(t);
  double ahead = forecast_rate(t + p_.config.lead_s());
  if (now_rate <= 0.0) return 1.0;
  return std::clamp(ahead / now_rate, kMinRatio, kMaxRatio);
}

FleetTarget ForecastDriven::decide(const FleetObservation& o) {
  FleetObservation ahead = o;
  double r = lead_ratio(o.now_s);
  ahead.prefill_offered_tokens_per_s *= r;
  ahead.decode_offered_per_s *= r;
  FleetTarget t = slo_.decide(ahead);
  limit_bound_ = slo_.limit_bound();
  return t;
}

}  // namespace moesim::policy
