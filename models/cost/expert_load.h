// The routed-expert load of one step on the most-loaded GPU: the input the MoE layer's cost needs (the layer ends when
// its slowest GPU does). ExpertLoadModel precomputes, for one placement and one popularity, what a step needs, so a
// step costs a table lookup instead of drawing 256 expert loads per layer. The popularity and routing models it uses
// are in expert_popularity.h and expert_routing.h; docs/models/expert-load.md derives it and states its accuracy.
//
//   moesim::cost::ExpertLoadModel load(placement, popularity.shares_at(now), popularity.transient_sigma(), shape);
//   double max_tokens = load.max_gpu_load(tokens_in_unit);  // expert-token pairs on the busiest GPU, layer mean
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/cost/expert_popularity.h"
#include "models/cost/expert_routing.h"

namespace moesim::cost {

/// Where each physical expert slot's replica lives: slot s is on GPU s / slots_per_gpu; phy2log[layer][s] is the
/// logical expert it holds, or -1 for an empty slot. Produced by the expert balancers (sim/policy/expert_balancer.h).
struct ExpertPlacement {
  int num_experts = 0;
  int num_gpus = 0;
  int slots_per_gpu = 0;
  std::vector<std::vector<int>> phy2log;

  int num_layers() const { return static_cast<int>(phy2log.size()); }
  int num_slots() const { return num_gpus * slots_per_gpu; }
  /// Replicas per logical expert in one layer.
  std::vector<int> logcnt(int layer) const;
  /// Per-GPU load of one layer when each replica weighs its expert's weight / logcnt (eplb.md's convention).
  std::vector<double> gpu_loads(int layer, std::span<const double> weight) const;
  /// Throws std::invalid_argument if sizes disagree or an id is out of range.
  void check() const;
};

/// The exact model the approximation stands for, by Monte Carlo: `steps` steps of `tokens` tokens in one layer, each
/// step with fresh transient factors, every token routed by RoutingSampler, each expert's tokens spread over its
/// replicas uniformly at random. Returns the mean over steps of max GPU load / mean GPU load. Slow (tests, docs).
double sample_max_gpu_factor(const ExpertPlacement& placement, int layer, std::span<const double> shares,
                             double transient_sigma, const RoutingShape& shape, int64_t tokens, int steps,
                             uint64_t seed);

/// Expected busiest-GPU load of a step for one placement and one popularity. Each GPU's load is taken as
/// independent of the others and matched in mean, variance and skewness by a shifted lognormal (the moments of a
/// mixed Poisson: Poisson routing counts, lognormal transient factors); E[max] integrates 1 - prod_g F_g. Results are
/// tabulated lazily on a grid of token counts (kGridPerOctave per octave; kExactGridPerOctave with `exact`) and
/// interpolated by cubics in log tokens.
/// Build a new one when the placement or the popularity changes. Cheap to query; not thread-safe (lazy table).
class ExpertLoadModel {
 public:
  /// shares[layer][expert] (rows need not be normalized); placement.num_layers() == shares.size(). `exact`: the table
  /// is filled by the adaptive reference (evaluate_layer_factor_adaptive) instead of the fast rule.
  ExpertLoadModel(const ExpertPlacement& placement, const std::vector<std::vector<double>>& shares,
                  double transient_sigma, const RoutingShape& shape, bool exact = false);

  /// E[max over GPUs of a layer's routed expert-token pairs] / their mean over GPUs, averaged over layers, for a step
  /// with `tokens` tokens entering the MoE layer across the unit (each token goes to top_k experts). >= 1.
  double max_gpu_factor(double tokens) const;
  /// The same for one layer.
  double layer_max_gpu_factor(int layer, double tokens) const;
  /// Mean routed expert-token pairs per GPU: top_k * tokens / num_gpus.
  double mean_gpu_load(double tokens) const { return top_k_ * tokens / num_gpus_; }
  /// Expert-token pairs on the busiest GPU, averaged over layers: max_gpu_factor * mean_gpu_load.
  double max_gpu_load(double tokens) const { return max_gpu_factor(tokens) * mean_gpu_load(tokens); }

  /// Direct evaluation without the table (what the table holds at grid points): a fixed Gauss-Legendre rule of
  /// kGaussPoints on each piece of the range.
  double evaluate_layer_factor(int layer, double tokens) const;
  /// The same by adaptive Gauss-Kronrod (tolerance 1e-6 per piece) with std::erfc: the reference the fast path is
  /// tested against.
  double evaluate_layer_factor_adaptive(int layer, double tokens) const;

  /// Balancedness of the expected loads (mean / max GPU, no sampling noise), averaged over layers: what DeepSeek's
  /// EPLB reports and a planner would log over time.
  double expected_balancedness() const;

  /// Per GPU, the expected tokens it receives in dispatch per token entering the layer (a token is sent once to
  /// each GPU holding one of its experts): 1 - prod_e (1 - inclusion_e * share of e's replicas on the GPU). Treats a
  /// token's experts as independent (the group limit makes hits on one GPU slightly more correlated).
  const std::vector<double>& receive_per_token(int layer) const { return layers_[layer].receive; }
  /// Mean over layers of the largest and the mean per-GPU receive_per_token.
  double max_receive_per_token() const { return max_receive_; }
  double mean_receive_per_token() const { return mean_receive_; }

  int num_layers() const { return static_cast<int>(layers_.size()); }
  int num_gpus() const { return num_gpus_; }

  /// Grid points per octave of tokens: one (the cubic reads the factor within 9e-4 of the direct evaluation, at most
  /// 4 new points for a new working range), four with `exact` (within 1e-5).
  static constexpr int kGridPerOctave = 1;
  static constexpr int kExactGridPerOctave = 4;
  static constexpr int kGridOctaves = 27;  ///< tokens from 1 to 2^27 (~1.3e8) per step; clamped outside
  static constexpr int kGaussPoints = 10;  ///< nodes of the fixed rule on each piece of the E[max] integral

 private:
  struct Layer {
    // Per GPU, the sums over experts of (inclusion * replica share)^n, n = 1, 2, 3: the load's cumulants are
    // T A1 (Poisson), + T^2 A2 s2 (transient variance), + T^3 A3 s3 (transient skewness).
    std::vector<double> a1, a2, a3;
    std::vector<double> receive;
  };

  double layer_grid(int layer, int index) const;
  double mean_grid(int index) const;

  std::vector<Layer> layers_;
  mutable std::vector<double> layer_grid_;  // [layer * grid_points_ + i], NaN until computed
  mutable std::vector<double> mean_grid_;   // mean over layers, NaN until computed
  int num_gpus_;
  int top_k_;
  bool exact_;
  int per_octave_;   // grid points per octave
  int grid_points_;  // per_octave_ * kGridOctaves + 1
  double s2_;  // Var of the transient factor: e^{sigma^2} - 1
  double s3_;  // its third central moment: (e^{sigma^2} - 1)^2 (e^{sigma^2} + 2)
  double max_receive_ = 0, mean_receive_ = 0;
  mutable std::vector<double> work_;  // scratch: per-GPU distribution parameters
};

}  // namespace moesim::cost
