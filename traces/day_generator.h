// The reference-day generator: a RequestSource that draws the day's requests lazily, in arrival order, in constant
// memory. Arrivals are a non-homogeneous Poisson process following the profile's hourly demand shape; each request
// draws its class, lengths and cached prefix from the solved mixture (traces/day_model.h).
//
//   moesim::traces::DayGenerator day(moesim::traces::load_day_profile("deepseek-day"), {.scale = 0.01, .seed = 1});
//   for (moesim::traces::Request r; day.next(r);) { /* about 1.4 M requests */ }
#pragma once

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/rng.h"
#include "traces/day_model.h"
#include "traces/day_profile.h"
#include "traces/demand_shape.h"
#include "traces/source.h"

namespace moesim::traces {

/// Options of a generated day.
struct GeneratorOptions {
  double scale = 1.0;  ///< fraction of the day's requests (the shape is kept: a Poisson process at scale x rate)
  uint64_t seed = 1;   ///< same profile, scale and seed give the same requests
};

/// Generates the day described by a profile.
class DayGenerator final : public RequestSource {
 public:
  /// Solves the profile (InputError if it has no solution) and prepares the streams. `models`: the names the run
  /// serves (a model's name and aliases; the first is its name); a class whose model is not among them is served by
  /// the first, the profile lending its traffic shape to another model. Empty: the profile's own names.
  DayGenerator(const DayProfile& profile, const GeneratorOptions& options, const std::vector<std::string>& models = {});

  bool next(Request& out) override;
  const SourceCounters& counters() const override { return counters_; }
  const std::string& name() const override { return name_; }
  const std::vector<std::string>& models() const override { return models_.names(); }
  /// The model serving the profile's class `c` (its own, or the served model that took it over).
  const std::string& class_model(size_t c) const { return models_.names()[samplers_[c].model]; }

  const DaySolution& solution() const { return solution_; }
  const DayProfile& profile() const { return profile_; }
  const GeneratorOptions& options() const { return options_; }
  /// Expected number of requests (scale x requests per day); the drawn count is Poisson around it.
  double expected_requests() const { return options_.scale * solution_.requests_per_day; }

 private:
  struct Sampler {
    uint8_t model;
    double share_cumulative;
    double input_mu, input_sigma, input_max;
    double output_mu, output_sigma, output_max;
    double new_mu, new_sigma;
  };
  int32_t draw_length(double mu, double sigma, double max);

  DayProfile profile_;
  GeneratorOptions options_;
  DaySolution solution_;
  DemandShape shape_;
  std::string name_;
  ModelNames models_;
  std::vector<Sampler> samplers_;
  Rng arrival_rng_;
  Rng mark_rng_;
  boost::random::normal_distribution<double> normal_;
  boost::random::exponential_distribution<double> exponential_;
  double u_ = 0;       // fraction of the day's demand arrived so far
  double u_step_ = 0;  // 1 / expected requests: a unit-rate Exp step in demand fraction
  int segment_ = 0;
  int64_t last_ns_ = 0;
  SourceCounters counters_;
};

/// The generator of a named profile (or a .json path): load_day_profile + DayGenerator, as a RequestSource.
std::unique_ptr<DayGenerator> make_day_generator(const std::string& profile, double scale, uint64_t seed);

}  // namespace moesim::traces
