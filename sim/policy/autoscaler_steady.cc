#include "sim/policy/autoscaler_steady.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace moesim::policy {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// A normal variable's standard deviation over its median absolute deviation (the MAD's consistency constant).
constexpr double kMadToSigma = 1.4826;
// Second differences of white noise of variance s^2 have variance 6 s^2 (1 + 4 + 1).
constexpr double kSecondDifferenceVariance = 6.0;

// Observations that span `span_s` at one every `interval_s`, the last one included.
size_t observations_over(double span_s, double interval_s) {
  return 1 + static_cast<size_t>(std::ceil(span_s / interval_s));
}

// The params without the pool limit: `slo` decides prefill uncut, and the limit cuts the whole target after.
AutoscalerParams without_pool_limit(AutoscalerParams p) {
  p.config.max_nodes = 0;
  return p;
}

double median(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  return 0.5 * (upper + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid)));
}

}  // namespace

SteadyDriven::SteadyDriven(const AutoscalerParams& p)
    : p_(p),
      slo_(without_pool_limit(p)),
      persist_(observations_over(p.config.persist_s, p.config.interval_s)),
      window_(std::max<size_t>(3, static_cast<size_t>(std::llround(p.config.noise_window_s / p.config.interval_s)))) {}

double SteadyDriven::demand_noise(const std::deque<PoolDemand>& seen, size_t window) {
  const size_t n = std::min(seen.size(), window);
  if (n < 3) return kInf;
  std::vector<double> d2;
  for (size_t i = seen.size() - n + 2; i < seen.size(); ++i) {
    d2.push_back(std::abs(seen[i].standing - 2.0 * seen[i - 1].standing + seen[i - 2].standing));
  }
  return kMadToSigma * median(std::move(d2)) / std::sqrt(kSecondDifferenceVariance);
}

void SteadyDriven::remember(PoolDemand d) {
  seen_.push_back(d);
  while (seen_.size() > std::max(window_, persist_)) seen_.pop_front();
}

double SteadyDriven::trend_slope(const std::deque<PoolDemand>& seen, size_t window) {
  const size_t n = std::min(seen.size(), window);
  if (n < 2) return 0.0;
  std::vector<double> slopes;
  const size_t first = seen.size() - n;
  for (size_t i = first; i < seen.size(); ++i) {
    for (size_t j = i + 1; j < seen.size(); ++j) {
      slopes.push_back((seen[j].standing - seen[i].standing) / static_cast<double>(j - i));
    }
  }
  return median(std::move(slopes));
}

int64_t SteadyDriven::decode_target(int64_t units) const {
  const auto& seen = seen_;
  const double high = p_.config.decode_high;
  const size_t m = std::min(persist_, seen.size());
  double least = kInf;
  double most = -kInf;
  double least_backlog = kInf;
  for (size_t i = seen.size() - m; i < seen.size(); ++i) {
    least = std::min(least, seen[i].total());
    most = std::max(most, seen[i].total());
    least_backlog = std::min(least_backlog, seen[i].backlog);
  }
  const bool lasted = seen.size() >= persist_;
  const auto held = static_cast<double>(units);
  // Now: the standing load, and as much of the backlog as lasted.
  const double now = seen.back().standing + least_backlog;
  const double sigma = demand_noise(seen, window_);
  const double margin = std::isfinite(sigma) ? p_.config.noise_z * sigma : kInf;
  // At once: a crossing beyond the noise, or any crossing while the demand rises fast enough that its trend alone
  // would carry it beyond the noise within persist_s (waiting to see it last would only delay a unit it will need).
  const double span = static_cast<double>(persist_ - 1);
  const bool rising = trend_slope(seen, window_) * span > margin;
  int64_t target = units;
  if (now > held * high + (rising ? 0.0 : margin)) target = static_cast<int64_t>(std::ceil(now / high));
  if (lasted && least > held * high) target = std::max(target, static_cast<int64_t>(std::ceil(least / high)));
  if (target == units && units > 1 && lasted && most < (held - 1.0) * p_.config.decode_low) target = units - 1;
  return target;
}

FleetTarget SteadyDriven::decide(const FleetObservation& o) {
  // Prefill as `slo`, and decode too during the warm-up (units start at once then).
  FleetTarget t = slo_.decide(o);
  const auto& c = p_.config;
  if (o.now_s >= c.warmup_s && o.decode_capacity_per_unit > 0) {
    auto per_unit = static_cast<double>(o.decode_capacity_per_unit);
    PoolDemand d = decode_demand(o, c.backlog_horizon_s);
    // The standing load is what arrives at the fleet: sequences that leave prefill faster (its queue draining) are
    // its backlog passing through, and those it holds back will come; what decode cannot seat waits, and counts.
    if (o.decode_hold_s > 0.0) d.standing = o.arrivals_per_s * o.decode_hold_s;
    remember({d.standing / per_unit, d.backlog / per_unit});
    t.decode_units = std::max<int64_t>(decode_target(o.decode_units), 1);
  }
  limit_bound_ = cut_to_pool_limit(t, o, c.max_nodes);
  return t;
}

}  // namespace moesim::policy
