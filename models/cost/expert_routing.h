// Group-limited top-k routing: which experts a token picks, given each expert's share of the layer's routed tokens.
// A token first reaches at most `topk_groups` groups, then picks `top_k` distinct experts inside them. Both stages use
// systematic sampling over a freshly shuffled order, so each expert's inclusion probability is known exactly
// (LayerRouting::inclusion) and the analytic step-load model and the exact draws agree on every expert's mean.
//
//   moesim::cost::LayerRouting routing = moesim::cost::group_limited_routing(shares[layer], shape);
//   moesim::cost::RoutingSampler sampler(routing, shape);  sampler.draw(rng, experts);  // experts: top_k ids
#pragma once

#include <span>
#include <vector>

#include "common/rng.h"
#include "models/cost/expert_popularity.h"

namespace moesim::cost {

/// Water-filling: x_i = min(cap, c * v_i) with sum x_i = total. If the positive v_i cannot carry `total` under the cap,
/// they get `cap` and the rest is spread evenly over the zero ones. Requires values.size() * cap >= total.
std::vector<double> capped_scaling(std::span<const double> values, double total, double cap);

/// Per-layer routing probabilities, exact for RoutingSampler.
struct LayerRouting {
  std::vector<double> group_prob;   ///< P(a token reaches group g); sums to topk_groups, each <= 1
  std::vector<double> within_prob;  ///< P(expert e picked | its group reached); each group sums to top_k/topk_groups
  std::vector<double> inclusion;    ///< P(a token picks e) = group_prob * within_prob; sums to top_k, each <= 1
};

/// Routing probabilities for one layer's shares (any non-negative scale). Each expert's inclusion is top_k x its
/// share unless a cap binds: group_prob = min(1, c x group share) summing to topk_groups, and inside a reached group
/// within_prob = min(1, c_g x share) summing to top_k / topk_groups. So a group carries at most top_k / topk_groups
/// experts per token (25 % of the load for DeepSeek-V3) and an expert at most one. With the calibrated skew no cap
/// binds; with zipf alpha >= ~0.9 the hottest experts are capped.
LayerRouting group_limited_routing(std::span<const double> shares, const RoutingShape& shape);

/// Draws tokens' expert sets for one layer.
class RoutingSampler {
 public:
  RoutingSampler(const LayerRouting& routing, const RoutingShape& shape);

  /// Writes one token's top_k distinct experts (from at most topk_groups groups) to out[0 .. top_k).
  void draw(Rng& rng, std::span<int> out);

 private:
  const LayerRouting& routing_;
  RoutingShape shape_;
  std::vector<int> groups_;      // scratch: group order
  std::vector<int> candidates_;  // scratch: experts of the reached groups
};

/// Multiplies shares by independent mean-one lognormal factors exp(sigma z - sigma^2 / 2) (the per-step transient).
std::vector<double> apply_transient(std::span<const double> shares, double sigma, Rng& rng);

}  // namespace moesim::cost
