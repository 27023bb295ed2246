// Expert popularity: the share of each MoE layer's routed tokens that each expert receives, and how it moves over
// the day. Families: uniform, lognormal, zipf (ranks shuffled per layer), a weights file, and the `calibrated` preset
// fitted to shared/reference/expert-load.md (docs/models/expert-load.md). Any family can drift slowly.
//
//   moesim::cost::ExpertPopularity pop(moesim::cost::parse_skew_spec("zipf:0.8,drift=0.5"), routing_shape(model), 1);
//   const auto& shares = pop.shares_at(3'600'000'000'000);  // shares[layer][expert] one hour in; rows sum to 1
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/llm/geometry.h"
#include "models/llm/model.h"

namespace moesim::cost {

/// The routed-expert layout of the model: from the model file through routing_shape() (DeepSeek-V3: 58 MoE layers,
/// 256 experts in 8 groups, top-8 from 4 groups).
struct RoutingShape {
  int num_layers = 0;   ///< MoE layers
  int num_experts = 0;  ///< routed experts per layer
  int num_groups = 0;   ///< expert groups of num_experts / num_groups consecutive experts
  int top_k = 0;        ///< experts per token
  int topk_groups = 0;  ///< groups a token may reach (group-limited routing)

  int group_size() const { return num_experts / num_groups; }
  /// Throws InputError unless the sizes are consistent (groups divide experts, top_k <= reachable experts, ...).
  void check() const;
};

/// The routing shape of `model`, or of the model a unit serves.
RoutingShape routing_shape(const llm::ModelSpec& model);
RoutingShape routing_shape(const llm::UnitGeometry& geometry);

enum class SkewFamily { kUniform, kLognormal, kZipf, kFile, kCalibrated };

/// What `--expert-skew` names. The persistent popularity comes from the family; `transient_sigma` adds a fresh
/// mean-one lognormal factor per expert for each step (the hot set of a batch that an interval average cannot see);
/// `drift_per_hour` moves the hot set over hours.
struct SkewSpec {
  SkewFamily family = SkewFamily::kUniform;
  std::vector<double> sigma;     ///< lognormal: log-sd of the weights, one value or one per layer
  double sigma_spread = 0.0;     ///< lognormal: layer l uses sigma_l * exp(sigma_spread * z_l), z_l ~ N(0, 1)
  double alpha = 0.0;            ///< zipf: exponent of the rank law w_r = r^-alpha
  std::string file;              ///< file: JSON [[w...], ...], one row for all layers or one per layer
  double transient_sigma = 0.0;  ///< log-sd of the per-step factor (0 = none)
  double drift_per_hour = 0.0;   ///< rate of the Ornstein-Uhlenbeck latent ranks, 1/h (0 = a static hot set)
};

/// The `calibrated` preset: lognormal weights whose sigma varies between layers, fitted by `moesim eplb --fit-skew`
/// to the statistics of shared/reference/expert-load.md (docs/models/expert-load.md shows the fit beside each one).
inline constexpr double kCalibratedSigma = 0.72;
inline constexpr double kCalibratedSigmaSpread = 0.14;
/// Drift rate of the hot set. NOT measured (the references say only that the hot set is stable over tens to hundreds
/// of iterations and differs between requests and datasets): an assumption, a latent correlation time of ten hours,
/// so a layer's top-32 set keeps ~70 % of its experts after an hour and ~35 % after six. The EPLB's gain is sensitive
/// to it (docs/models/expert-load.md, section 4).
inline constexpr double kCalibratedDriftPerHour = 0.1;

/// Parses "uniform", "lognormal:S" or "lognormal:S1:S2:..." (one per layer), "zipf:A", "file:PATH", "calibrated",
/// each optionally followed by ",drift=R" (1/h), ",transient=S" and, for lognormal, ",spread=T". Errors name
/// `origin` (the flag or JSON path).
SkewSpec parse_skew_spec(std::string_view text, std::string_view origin = "--expert-skew");

/// The canonical text of a spec (parse_skew_spec(to_string(s)) == s).
std::string to_string(const SkewSpec& spec);

/// Per-layer expert shares over time. Deterministic in (spec, shape, seed, time); not thread-safe (drift state).
class ExpertPopularity {
 public:
  ExpertPopularity(const SkewSpec& spec, const RoutingShape& shape, uint64_t seed);

  /// shares[layer][expert] at time t_ns (>= 0); each row sums to 1. Piecewise constant in steps of kDriftStepNs.
  /// The reference stays valid until the next call.
  const std::vector<std::vector<double>>& shares_at(int64_t t_ns);

  /// Shares at time 0 (the state before any drift).
  const std::vector<std::vector<double>>& initial_shares() const { return initial_; }

  /// Expected routed-expert loads of `tokens` tokens at time t: tokens x each expert's pick probability under
  /// group-limited routing (top_k x share unless a routing cap binds). What EplbPlanner::observe should be fed.
  std::vector<std::vector<double>> expected_loads(int64_t t_ns, double tokens);

  double transient_sigma() const { return transient_sigma_; }
  double drift_per_hour() const { return drift_per_hour_; }
  const RoutingShape& shape() const { return shape_; }
  const SkewSpec& spec() const { return spec_; }

  /// Resolution of the drift: the latent ranks move in steps of one minute (a hot set that moves over hours).
  static constexpr int64_t kDriftStepNs = 60'000'000'000;

 private:
  void reset_drift();
  void advance_drift();

  SkewSpec spec_;
  RoutingShape shape_;
  uint64_t seed_;
  double transient_sigma_;
  double drift_per_hour_;
  std::vector<std::vector<double>> initial_;
  std::vector<std::vector<double>> sorted_;  // per layer, the initial shares in descending order
  std::vector<std::vector<double>> latent_;  // per layer and expert, OU latent score; rank of it picks the share
  std::vector<std::vector<double>> current_;
  int64_t drift_step_ = 0;
};

/// Loads a weights file: a JSON array of rows of non-negative numbers, all rows of equal length. Errors name the
/// file and the place ("w.json: [1][3]: expected a non-negative number, got -4").
std::vector<std::vector<double>> load_weight_matrix(const std::string& path);

}  // namespace moesim::cost
