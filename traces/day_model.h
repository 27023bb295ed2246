// The reference-day request model, solved: truncated-lognormal length moments and the fit of the profile's free
// parameters (each class's mean input, the continuation probability, the requests per day) to the day's targets.
// docs/models/workload.md derives the equations.
//
//   auto solution = moesim::traces::solve_day(moesim::traces::load_day_profile("deepseek-day"));
//   fmt::print("{:.0f} requests a day\n", solution.requests_per_day);
#pragma once

#include <string>
#include <vector>

#include "traces/day_profile.h"

namespace moesim::traces {

/// E[X^k | X <= max] for X = exp(mu + sigma Z), Z standard normal.
double truncated_lognormal_moment(double mu, double sigma, double max, int k);
/// The mu that gives the truncated lognormal (sigma, max) the mean `mean` (0 < mean < max).
double mu_for_truncated_mean(double mean, double sigma, double max);
/// E[floor_unit(max(0, L - N))]: the expected reusable prefix, in whole cache units, of an input L (truncated
/// lognormal mu_l, sigma_l, max_l) after N new tokens (lognormal mu_n, sigma_n). By quadrature over N.
double expected_prefix(double mu_l, double sigma_l, double max_l, double mu_n, double sigma_n, int unit);

/// One class, solved.
struct ClassSolution {
  double input_mu = 0;    ///< ln of the untruncated input median
  double input_mean = 0;  ///< solved mean input (of the truncated distribution)
  double output_mu = 0;
  double output_mean = 0;
  double output_mean_square = 0;  ///< E[o^2]
  double new_tokens_mu = 0;
  double prefix_if_continuing = 0;  ///< expected cached tokens of a continuing request
};

/// The solved day.
struct DaySolution {
  std::vector<ClassSolution> classes;   ///< in profile order
  double continuation_probability = 0;  ///< share of requests whose earlier prefix the cache still holds
  double requests_per_day = 0;          ///< expected requests at scale 1
  // What the model predicts, per request and for the day (equal to the targets up to rounding to integers):
  double input_mean = 0;
  double output_mean = 0;
  double cached_fraction = 0;
  double kv_len_per_output_token = 0;
};

/// Fits the profile to its targets. The two classes' mean inputs follow from two linear equations (input/output token
/// ratio and KV length per output token), the continuation probability from the cached fraction, the request count
/// from the input total. Throws InputError (naming the profile) when no valid solution exists.
DaySolution solve_day(const DayProfile& profile);

}  // namespace moesim::traces
