// A generator profile: the published workload facts of a day (token totals, cached share, KV length per output
// token, hourly demand shape) and the assumed request mixture whose free parameters the solver fits to them.
//
//   auto profile = moesim::traces::load_day_profile("deepseek-day");  // traces/profiles/deepseek-day.json
//   auto solution = moesim::traces::solve_day(profile);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "traces/request.h"

namespace moesim::traces {

/// Day totals the generator must reproduce at scale 1 (workload facts, not outcomes of the serving system).
struct DayTargets {
  double input_tokens = 0;             ///< input tokens in the day
  double cached_fraction = 0;          ///< share of input tokens that hit the on-disk KV cache
  double output_tokens = 0;            ///< output tokens in the day
  double kv_len_per_output_token = 0;  ///< output-weighted mean KV length (input + k at the k-th output token)
};

/// A length distribution: lognormal in ln(length) with `sigma`, conditioned on length <= `max` (then rounded to an
/// integer >= 1). `mean` is the mean of the truncated distribution; for inputs it is solved (0 in the profile).
struct LengthSpec {
  double mean = 0;
  double sigma = 1;
  int32_t max = 0;
};

/// One kind of request in the mixture (for example deepseek-v3 chat or deepseek-r1 reasoning).
struct RequestClass {
  std::string name;
  std::string model;  ///< the served model's name (any name; deepseek-r1 is served by deepseek-v3's architecture)
  double request_share = 0;  ///< share of the day's requests
  LengthSpec input;          ///< mean solved from the targets
  LengthSpec output;         ///< assumed
  /// Tokens new to the cache in a continuing request (the latest user turn, tool output, or the previous answer):
  /// lognormal with this mean and sigma, no truncation. The rest of the input is the reusable prefix.
  double new_tokens_mean = 0;
  double new_tokens_sigma = 1;
};

/// A day profile (traces/profiles/<name>.json).
struct DayProfile {
  std::string name;
  std::string file;                   ///< where it was read from
  std::vector<double> hourly_shares;  ///< each hour's share of the day's demand (sums to 1)
  DayTargets targets;
  int32_t cache_unit_tokens = 64;     ///< prefix-cache granularity: cached prefixes are whole units
  std::vector<RequestClass> classes;  ///< exactly two
};

/// Loads a profile by name (traces/profiles/<name>.json under the data directory) or by path (ends in .json).
/// Strict: unknown keys, wrong types and out-of-range values are InputErrors naming the file and JSON path.
DayProfile load_day_profile(const std::string& name_or_path);

}  // namespace moesim::traces
