#include "traces/day_check.h"

#include <cmath>

namespace moesim::traces {

bool TargetCheck::ok() const { return std::abs(error) <= tolerance; }

std::vector<TargetCheck> check_day_targets(const DayProfile& profile, double scale, const TraceStats& stats) {
  const DayTargets& t = profile.targets;
  const bool full = scale >= 1.0;
  auto rel = [](double achieved, double target) { return achieved / target - 1; };
  const double input = static_cast<double>(stats.input_tokens());
  const double output = static_cast<double>(stats.output_tokens());
  std::vector<TargetCheck> checks;
  checks.push_back(
      {"input_tokens", t.input_tokens * scale, input, rel(input, t.input_tokens * scale), full ? 0.01 : 0.02, false});
  checks.push_back({"cached_fraction", t.cached_fraction, stats.cached_fraction(),
                    stats.cached_fraction() - t.cached_fraction, 0.01, true});
  checks.push_back({"output_tokens", t.output_tokens * scale, output, rel(output, t.output_tokens * scale),
                    full ? 0.01 : 0.02, false});
  checks.push_back({"kv_len_per_output_token", t.kv_len_per_output_token, stats.kv_len_per_output_token(),
                    rel(stats.kv_len_per_output_token(), t.kv_len_per_output_token), full ? 0.03 : 0.05, false});
  // Every hour's share of the day's revenue at R1 prices against the published hourly income share; report the worst.
  const auto& shares = profile.hourly_shares;
  const double revenue = stats.revenue_usd();
  TargetCheck worst{"worst_hour_revenue_share", 0, 0, 0, full ? 0.05 : 0.10, false};
  for (size_t h = 0; h < shares.size(); ++h) {
    auto it = stats.hours().find(static_cast<int64_t>(h));
    double share = 0;
    if (it != stats.hours().end() && revenue > 0) {
      const auto& x = it->second;
      share =
          r1_revenue_usd(static_cast<double>(x.cached_tokens), static_cast<double>(x.input_tokens - x.cached_tokens),
                         static_cast<double>(x.output_tokens)) /
          revenue;
    }
    const double e = share / shares[h] - 1;
    if (h == 0 || std::abs(e) > std::abs(worst.error)) {
      worst.error = e;
      worst.achieved = share;
      worst.target = shares[h];
    }
  }
  checks.push_back(worst);
  return checks;
}

}  // namespace moesim::traces
