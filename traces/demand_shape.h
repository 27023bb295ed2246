// The day's demand shape: hourly shares of the day's demand turned into a continuous arrival-rate density, and the
// inverse of its cumulative, which maps a unit-rate Poisson process onto a non-homogeneous one.
//
//   auto shares = moesim::traces::load_hourly_demand("traces/samples/deepseek-day-hourly.csv");
//   moesim::traces::DemandShape shape(shares);  double t = shape.inverse_cdf(0.5);  // hours from the day's start
#pragma once

#include <filesystem>
#include <vector>

namespace moesim::traces {

/// The only column of the published hourly table that feeds the generator: theoretical income at R1 prices, which is
/// proportional to the tokens served in the hour (the node and cost columns restate the schedule and are not read).
inline constexpr const char* kDemandColumn = "theoretical_income_usd_digitized";

/// Reads the hourly demand table (a CSV with an `hour_start_utc8` column of consecutive hours and kDemandColumn) and
/// returns each hour's share of the day's demand (positive, summing to 1). Errors name file:line.
std::vector<double> load_hourly_demand(const std::filesystem::path& csv);

/// A piecewise-linear rate density over the day, with exactly the given share of the day in every hour.
///
/// Within an hour the rate is linear between the hour's boundaries and its midpoint: the base curve joins the hours'
/// shares placed at their midpoints (the day wraps around: the hour before the first is the last), and each hour's
/// piece is then scaled so that the hour integrates to its share. So hour shares are exact, the rate changes
/// smoothly inside hours, and it may jump slightly at an hour boundary where the shape bends.
class DemandShape {
 public:
  explicit DemandShape(const std::vector<double>& hourly_shares);

  /// Hours in the day.
  int hours() const { return static_cast<int>(shares_.size()); }
  /// Rate density at t hours from the start (per hour; integrates to 1 over the day).
  double density(double t_hours) const;
  /// Fraction of the day's demand arrived by t hours.
  double cdf(double t_hours) const;
  /// The time (hours) by which fraction u in [0, 1] of the demand has arrived; monotone in u.
  double inverse_cdf(double u) const;

  /// For streaming inversion with monotone u: the segment that holds u, searched forward from `hint`.
  int segment_for(double u, int hint) const;
  /// inverse_cdf(u) inside segment `segment` (which must hold u).
  double inverse_in_segment(double u, int segment) const;

 private:
  struct Segment {
    double t0;     // start, hours
    double rate0;  // density at t0
    double slope;  // d density / dt, per hour^2
    double c0;     // cdf at t0
  };
  std::vector<double> shares_;
  std::vector<Segment> segments_;  // two per hour: before and after the hour's midpoint
};

}  // namespace moesim::traces
