#include "models/cost/expert_routing.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace moesim::cost {

std::vector<double> capped_scaling(std::span<const double> values, double total, double cap) {
  const size_t n = values.size();
  if (static_cast<double>(n) * cap < total * (1 - 1e-12)) throw std::invalid_argument("capped_scaling: infeasible");
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
  // suffix[k] = sum of the values below the k largest.
  std::vector<double> suffix(n + 1, 0.0);
  for (size_t k = n; k-- > 0;) suffix[k] = suffix[k + 1] + values[order[k]];
  std::vector<double> out(n, 0.0);
  if (total <= 0) return out;
  for (size_t k = 0; k <= n; ++k) {
    // What the uncapped values must carry; it stays positive: capping the k-th value means it alone needed more
    // than `cap` of what was left.
    double rest = total - static_cast<double>(k) * cap;
    if (suffix[k] <= 0) {
      // The positive values are all capped and still fall short: spread the rest over the zero values.
      for (size_t i = 0; i < k; ++i) out[order[i]] = cap;
      for (size_t i = k; i < n; ++i) out[order[i]] = rest / static_cast<double>(n - k);
      return out;
    }
    double scale = rest / suffix[k];
    if (scale * values[order[k]] <= cap) {
      for (size_t i = 0; i < k; ++i) out[order[i]] = cap;
      for (size_t i = k; i < n; ++i) out[order[i]] = scale * values[order[i]];
      return out;
    }
  }
  return out;  // unreachable: k = n has suffix 0
}

LayerRouting group_limited_routing(std::span<const double> shares, const RoutingShape& shape) {
  const int groups = shape.num_groups, size = shape.group_size();
  if (shares.size() != static_cast<size_t>(shape.num_experts)) {
    throw std::invalid_argument("group_limited_routing: shares do not match the number of experts");
  }
  const double per_group = static_cast<double>(shape.top_k) / shape.topk_groups;  // experts per reached group
  LayerRouting r;
  std::vector<double> group_share(groups, 0.0);
  for (int e = 0; e < shape.num_experts; ++e) group_share[e / size] += shares[e];
  r.group_prob = capped_scaling(group_share, shape.topk_groups, 1.0);
  r.within_prob.resize(shape.num_experts);
  r.inclusion.resize(shape.num_experts);
  for (int g = 0; g < groups; ++g) {
    std::vector<double> within = capped_scaling(shares.subspan(static_cast<size_t>(g) * size, size), per_group, 1.0);
    for (int j = 0; j < size; ++j) {
      int e = g * size + j;
      r.within_prob[e] = within[j];
      r.inclusion[e] = r.group_prob[g] * within[j];
    }
  }
  return r;
}

RoutingSampler::RoutingSampler(const LayerRouting& routing, const RoutingShape& shape)
    : routing_(routing), shape_(shape), groups_(shape.num_groups) {
  candidates_.reserve(static_cast<size_t>(shape.topk_groups) * shape.group_size());
}

namespace {

/// Systematic sampling: walks `items` in order with probabilities prob[item] summing to n (each <= 1) and picks the
/// items whose cumulative interval holds one of the points (u + j) * sum / n, j < n. Each item is picked with exactly
/// its probability and at most once. Returns how many were written to out.
template <class Prob>
size_t systematic(std::span<const int> items, Prob prob, int n, double u, std::span<int> out) {
  double sum = 0;
  for (int item : items) sum += prob(item);
  if (sum <= 0) return 0;
  const double step = sum / n;  // 1 up to rounding
  double next = u * step, cumulative = 0;
  size_t written = 0;
  for (int item : items) {
    cumulative += prob(item);
    while (written < static_cast<size_t>(n) && next < cumulative) {
      // Two points in one interval of length 1 can only come from rounding: keep the item once.
      if (written == 0 || out[written - 1] != item) out[written++] = item;
      next += step;
    }
    if (written == static_cast<size_t>(n)) break;
  }
  // Rounding can leave the last point just past the end: it goes to the last positive item not yet picked.
  for (size_t k = items.size(); written < static_cast<size_t>(n) && k-- > 0;) {
    auto picked = out.first(written);
    if (prob(items[k]) > 0 && std::find(picked.begin(), picked.end(), items[k]) == picked.end()) {
      out[written++] = items[k];
    }
  }
  return written;
}

template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(static_cast<uint32_t>(i))]);
}

}  // namespace

void RoutingSampler::draw(Rng& rng, std::span<int> out) {
  std::iota(groups_.begin(), groups_.end(), 0);
  shuffle(groups_, rng);
  int reached[64];
  std::span<int> reached_span(reached, static_cast<size_t>(shape_.topk_groups));
  size_t n_groups = systematic(
      groups_, [&](int g) { return routing_.group_prob[g]; }, shape_.topk_groups, rng.uniform(), reached_span);
  candidates_.clear();
  const int size = shape_.group_size();
  for (size_t i = 0; i < n_groups; ++i) {
    for (int j = 0; j < size; ++j) candidates_.push_back(reached[i] * size + j);
  }
  shuffle(candidates_, rng);
  size_t n = systematic(
      candidates_, [&](int e) { return routing_.within_prob[e]; }, shape_.top_k, rng.uniform(),
      out.first(shape_.top_k));
  if (n != static_cast<size_t>(shape_.top_k)) throw std::logic_error("RoutingSampler: drew too few experts");
}

std::vector<double> apply_transient(std::span<const double> shares, double sigma, Rng& rng) {
  std::vector<double> out(shares.begin(), shares.end());
  if (sigma <= 0) return out;
  for (double& w : out) w *= std::exp(sigma * rng.normal() - 0.5 * sigma * sigma);
  return out;
}

}  // namespace moesim::cost
