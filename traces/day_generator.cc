#include "traces/day_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/round.h"

namespace moesim::traces {

namespace {

constexpr double kNsPerHour = 3600e9;

}  // namespace

DayGenerator::DayGenerator(const DayProfile& profile, const GeneratorOptions& options,
                           const std::vector<std::string>& models)
    : profile_(profile),
      options_(options),
      solution_(solve_day(profile)),
      shape_(profile.hourly_shares),
      name_(fmt::format("generator:{} scale={} seed={}", profile.name, options.scale, options.seed)),
      models_(models.empty() ? std::string_view(profile.classes.front().model) : std::string_view(models.front()),
              models),
      arrival_rng_(Rng::stream(options.seed, "traces.arrivals")),
      mark_rng_(Rng::stream(options.seed, "traces.lengths")) {
  if (!(options.scale > 0) || !std::isfinite(options.scale)) {
    throw InputError(fmt::format("--scale: expected a positive number, got {}", options.scale));
  }
  double cumulative = 0;
  for (size_t c = 0; c < profile.classes.size(); ++c) {
    const RequestClass& rc = profile.classes[c];
    const ClassSolution& cs = solution_.classes[c];
    cumulative += rc.request_share;
    // Truncation is "length <= max" on the continuous draw; rounding then keeps every length <= max.
    const uint8_t model = models_.index(rc.model).value_or(0);
    samplers_.push_back({model, cumulative, cs.input_mu, rc.input.sigma, static_cast<double>(rc.input.max),
                         cs.output_mu, rc.output.sigma, static_cast<double>(rc.output.max), cs.new_tokens_mu,
                         rc.new_tokens_sigma});
  }
  samplers_.back().share_cumulative = 1.0;
  u_step_ = 1.0 / expected_requests();
}

int32_t DayGenerator::draw_length(double mu, double sigma, double max) {
  for (;;) {  // rejection keeps the lognormal's shape below max; acceptance is >= 98.9 % for the shipped profile
    double x = std::exp(mu + sigma * normal_(mark_rng_));
    if (x <= max) return std::max<int32_t>(1, static_cast<int32_t>(round_nearest(x)));
  }
}

bool DayGenerator::next(Request& out) {
  // Unit-rate Poisson process in "expected requests" units, mapped through the inverse cumulative demand: a
  // non-homogeneous Poisson process with rate scale x requests_per_day x density(t).
  u_ += exponential_(arrival_rng_) * u_step_;
  if (u_ >= 1.0) return false;
  segment_ = shape_.segment_for(u_, segment_);
  const double t_hours = shape_.inverse_in_segment(u_, segment_);
  const int64_t ns = std::max(last_ns_, round_nearest(t_hours * kNsPerHour));
  last_ns_ = ns;

  const double pick = mark_rng_.uniform();
  const Sampler* s = &samplers_.front();
  while (pick >= s->share_cumulative) ++s;
  out.arrival_ns = ns;
  out.model = s->model;
  out.input_tokens = draw_length(s->input_mu, s->input_sigma, s->input_max);
  out.output_tokens = draw_length(s->output_mu, s->output_sigma, s->output_max);
  out.cached_tokens = 0;
  if (mark_rng_.uniform() < solution_.continuation_probability) {
    // A continuing request: everything but its new tokens is a prefix the cache holds, in whole cache units.
    const double drawn = std::min(std::exp(s->new_mu + s->new_sigma * normal_(mark_rng_)), 1e12);
    const int64_t fresh = std::max<int64_t>(1, round_nearest(drawn));
    const int64_t prefix = out.input_tokens - fresh;
    const int64_t unit = profile_.cache_unit_tokens;
    if (prefix >= unit) out.cached_tokens = static_cast<int32_t>(prefix / unit * unit);
  }
  out.session = static_cast<uint64_t>(counters_.requests);
  ++counters_.requests;
  return true;
}

std::unique_ptr<DayGenerator> make_day_generator(const std::string& profile, double scale, uint64_t seed) {
  return std::make_unique<DayGenerator>(load_day_profile(profile), GeneratorOptions{.scale = scale, .seed = seed});
}

}  // namespace moesim::traces
