// The plan's answers with their spread: a figure over a candidate's seeds as a mean with its Student-t interval; the
// feasibility rule on those intervals; the constraint that binds an answer; the cheaper neighbour to simulate beside
// it; a stratified sample of the space to measure the screen against; and how far screen and simulation agree.
//
//   Estimate e = estimate(values);                        // e.mean, e.low, e.high (NaN with one seed)
//   Verdict v = verdict_on_intervals(space, by_name);     // feasible only when every interval meets its bound
//   auto b = binding_constraint(space, by_name);          // the least slack: "ttft_p90_s: high 14.2 of max 15"
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tools/study/plan.h"

namespace moesim::study {

/// A figure over a candidate's seeds: their mean, and the Student-t interval on it at `confidence`
/// (mean +- t(0.5 + confidence / 2, n - 1) sd / sqrt(n)). With one seed there is no interval: low and high are NaN.
struct Estimate {
  int n = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  double sd = std::numeric_limits<double>::quiet_NaN();  ///< the sample standard deviation (n - 1)
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();

  bool has_interval() const { return n >= 2; }
};

inline constexpr double kPlanConfidence = 0.95;

Estimate estimate(std::span<const double> values, double confidence = kPlanConfidence);

/// A figure's estimate by name; n = 0 when the runs do not give it.
using EstimateFn = std::function<Estimate(const std::string&)>;

/// The rule stated in plan.json and docs/planning.md: a candidate is feasible when, for every constraint, its whole
/// interval meets the bound (high <= max, low >= min); with one seed, the value itself. A constraint whose mean meets
/// the bound but whose interval crosses it is `undecided` (more seeds would tell): not feasible. One whose mean breaks
/// it is `broken`. worst_violation is on the mean, as for the screen.
Verdict verdict_on_intervals(const Space& space, const EstimateFn& figure);

/// The constraint with the least relative slack of an answer (the interval's far end against the bound, relative to
/// the bound, to 1 when the bound is 0), and that slack; nullopt for a space without constraints.
struct Binding {
  std::string figure;
  double slack = 0;  ///< relative; >= 0 for a feasible candidate
  std::string text;  ///< "ttft_p90_s 14.2 [13.1, 14.9] <= max 15 (slack 0.7 %)"
};
std::optional<Binding> binding_constraint(const Space& space, const EstimateFn& figure);

/// A screened candidate's least relative slack over the constraints (negative: it breaks one by that much); +inf for a
/// space without constraints. The screen's figures are points, so this is on values.
double least_slack(const Space& space, const FigureFn& figure);

/// The candidate to simulate beside an answer: among `usable` candidates whose screened objective (`cost`, lower is
/// better) is below the answer's, the one just below it (the nearest cheaper one); nullopt when there is none.
std::optional<size_t> cheaper_neighbour(const std::vector<double>& cost, const std::vector<bool>& usable,
                                        size_t answer);

/// A seeded, stratified sample of `n` usable candidates: half the strata are equal slices of the screened objective,
/// the other half equal slices of the screen's least slack (so candidates near the constraints' bounds, on either
/// side, are in it); one candidate drawn from each, without repeats. Fewer when fewer are usable. Sorted.
std::vector<size_t> stratified_sample(const std::vector<double>& cost, const std::vector<double>& slack,
                                      const std::vector<bool>& usable, int n, uint64_t seed);

/// Spearman's rank correlation (ties take their mean rank); NaN with fewer than two pairs or no spread.
double spearman(std::span<const double> a, std::span<const double> b);

/// The median of |screen / simulation - 1| over pairs where both are finite and the simulation is not 0; NaN if none.
double median_relative_error(std::span<const double> screen, std::span<const double> simulation);

}  // namespace moesim::study
