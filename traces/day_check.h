// How close a generated day came to its profile's targets, with issue 5's tolerances.
//
//   auto checks = moesim::traces::check_day_targets(profile, 0.01, stats);
//   for (const auto& c : checks) fmt::print("{} {} {}\n", c.name, c.error, c.ok());
#pragma once

#include <string>
#include <vector>

#include "traces/day_profile.h"
#include "traces/trace_stats.h"

namespace moesim::traces {

/// One target: achieved against the (scaled) target.
struct TargetCheck {
  std::string name;
  double target = 0;
  double achieved = 0;
  double error = 0;      ///< relative error, or the difference for fractions (absolute)
  double tolerance = 0;  ///< same kind as error
  bool absolute = false;
  bool ok() const;
};

/// The five targets of issue 5: input tokens, cached fraction, output tokens, KV length per output token, and the worst
/// hour's share of the day's revenue at R1 prices against that hour's published share. Tolerances: at scale >= 1
/// 1 %, 1 point, 1 %, 3 %, 5 %; below, those of the scale-0.01 test (2 %, 1 point, 2 %, 5 %, 10 %), since a thinned
/// day is noisier.
std::vector<TargetCheck> check_day_targets(const DayProfile& profile, double scale, const TraceStats& stats);

}  // namespace moesim::traces
