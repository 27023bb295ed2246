#include "models/cost/expert_load.h"

#include <algorithm>
#include <array>
#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace moesim::cost {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTail = 1e-10;       // P(some GPU above lo) and P(every GPU below hi) are within this of 1
constexpr double kNegligible = 1e-9;  // a GPU's CDF within this of 1 is taken as 1 (144 GPUs: < 2e-7 on the integrand)
constexpr int kCuts = 6;              // cuts of the E[max] range at quantiles of the busiest GPU (make_integrand)

double normal_quantile(double p) { return -std::numbers::sqrt2 * boost::math::erfc_inv(2.0 * p); }

/// One GPU's load, matched in mean, variance and skewness by a shifted lognormal k1 + em (e^{s Z} - sqrt(w))
/// with w = e^{s^2} (a normal when the skewness is negligible).
struct LoadDistribution {
  double k1 = 0, sd = 0, em = 0, s = 0, c = 0;  // c = sqrt(w) - 1
  double top = 0;                               // the quantile above which the CDF is 1 within kNegligible
  bool normal = true;

  LoadDistribution(double mean, double variance, double third) : k1(mean), sd(std::sqrt(variance)) {
    double skew = third / (variance * sd);
    if (!(skew > 1e-8)) return;
    // Skewness of a lognormal: (w + 2) sqrt(w - 1). With y = w - 1 the root is y = 4 sinh^2(asinh(skew / 2) / 3),
    // written this way to stay exact when the skewness is small.
    double sh = std::sinh(std::asinh(skew / 2) / 3);
    double y = 4 * sh * sh;
    double w = 1 + y;
    normal = false;
    s = std::sqrt(std::log1p(y));
    em = sd / std::sqrt(w * y);
    c = y / (std::sqrt(w) + 1);
  }
  /// The CDF, with the normal CDF from std::erfc (the reference; the fast rule uses FixedRule::multiply_cdf).
  double cdf(double x) const {
    double z = 0;
    if (normal) {
      z = (x - k1) / sd;
    } else {
      double u = (x - k1) / em + c;  // e^{s Z} - 1
      if (u <= -1) return 0;
      z = std::log1p(u) / s;
    }
    return 0.5 * std::erfc(-z / std::numbers::sqrt2);
  }
  /// The quantile at which a standard normal has value z.
  double quantile_at(double z) const { return normal ? k1 + sd * z : k1 + em * (std::expm1(s * z) - c); }
};

/// Interpolates a grid of values at 2^(i / per_octave) in log2(tokens), clamped at both ends: exact at a grid point
/// (which alone is read), else the cubic through the four nearest grid points (the stencil shifted inwards at the
/// ends). The factor is smooth in log tokens, so a cubic on a coarse grid reads fewer grid points than a line on a
/// fine one at the same accuracy (docs/models/expert-load.md).
template <class ValueAt>
double interpolate(double tokens, int per_octave, int points, ValueAt value_at) {
  double x = tokens > 1 ? std::log2(tokens) * per_octave : 0.0;
  if (x >= points - 1) return value_at(points - 1);
  int i = static_cast<int>(x);
  if (x == i) return value_at(i);
  int base = std::clamp(i - 1, 0, points - 4);
  double u = x - base;
  double w0 = -(u - 1) * (u - 2) * (u - 3) / 6, w1 = u * (u - 2) * (u - 3) / 2;
  double w2 = -u * (u - 1) * (u - 3) / 2, w3 = u * (u - 1) * (u - 2) / 6;
  return w0 * value_at(base) + w1 * value_at(base + 1) + w2 * value_at(base + 2) + w3 * value_at(base + 3);
}

/// 1 - prod_g F_g(x), the integrand of E[max], and the pieces of its range.
struct Integrand {
  std::vector<LoadDistribution> gpus;
  std::vector<double> points;  // lo, the cuts inside (lo, hi), hi

  double operator()(double x) const {
    double product = 1.0;
    for (const auto& d : gpus) {
      if (d.top <= x) break;
      product *= d.cdf(x);
      if (product < 1e-17) return 1.0;  // 1 - product rounds to 1 from here on
    }
    return 1.0 - product;
  }
};

/// Per GPU the sums A1..A3 (see ExpertLoadModel::Layer), at t tokens; s2, s3 the transient's moments.
Integrand make_integrand(std::span<const double> a1, std::span<const double> a2, std::span<const double> a3, double t,
                         double s2, double s3) {
  Integrand f;
  f.gpus.reserve(a1.size());
  for (size_t g = 0; g < a1.size(); ++g) {
    if (a1[g] <= 0) continue;  // an empty GPU never carries the maximum
    double k2 = t * a1[g] + t * t * a2[g] * s2;
    double k3 = t * a1[g] + 3 * t * t * a2[g] * s2 + t * t * t * a3[g] * s3;
    f.gpus.emplace_back(t * a1[g], k2, k3);
  }
  // Integrate 1 - prod F_g over [lo, hi]: below lo some GPU is almost surely above (the product is ~0), above hi every
  // GPU is almost surely below. A GPU whose top quantile is under lo never matters and is dropped. The normal
  // quantiles are constants, computed once (they were a tenth of the cost when computed per GPU).
  static const double z_low = normal_quantile(kTail);
  static const double z_top = normal_quantile(1 - kNegligible);
  const double z_high = normal_quantile(1 - kTail / static_cast<double>(f.gpus.size()));
  double lo = 0, hi = 0;
  for (auto& d : f.gpus) {
    lo = std::max(lo, d.quantile_at(z_low));
    hi = std::max(hi, d.quantile_at(z_high));
    d.top = d.quantile_at(z_top);
  }
  std::erase_if(f.gpus, [&](const LoadDistribution& d) { return d.top <= lo; });
  // Highest top first: at a point x the product stops at the first GPU whose top is below x (the rest are 1 within
  // kNegligible each), which skips most GPUs in the upper pieces.
  std::sort(f.gpus.begin(), f.gpus.end(), [](const auto& a, const auto& b) { return a.top > b.top; });
  // Adaptive quadrature over [lo, hi] alone can miss the step of a narrow maximum inside a long heavy tail (it did:
  // a 10 % error). Cutting the range at the GPUs' largest quantiles keeps every piece smooth.
  static const std::array<double, kCuts> z_cuts = [] {
    std::array<double, kCuts> z{};
    const double cuts[kCuts] = {0.1, 0.5, 0.9, 0.99, 0.999, 1 - 1e-5};
    for (int i = 0; i < kCuts; ++i) z[i] = normal_quantile(cuts[i]);
    return z;
  }();
  f.points.push_back(lo);
  for (double z : z_cuts) {
    double x = lo;
    for (const auto& d : f.gpus) x = std::max(x, d.quantile_at(z));
    if (x > f.points.back() && x < hi) f.points.push_back(x);
  }
  if (hi > f.points.back()) f.points.push_back(hi);
  return f;
}


/// The fast rule: a fixed Gauss-Legendre rule of ExpertLoadModel::kGaussPoints on each piece, with 1 - prod_g F_g
/// evaluated at all nodes at once, GPU by GPU, so that each GPU's CDF runs over a contiguous array of nodes in
/// Eigen's vectorized exp and log. A GPU multiplies only the nodes below its top quantile (the GPUs come highest top
/// first, so those nodes are a prefix) and skips the nodes whose product is already under 1e-17 (the product grows
/// with x, so those are a prefix too): the same pruning as Integrand's, node for node.
class FixedRule {
 public:
  static constexpr int kNodes = ExpertLoadModel::kGaussPoints;
  static constexpr int kMaxPoints = (kCuts + 1) * kNodes;
  using Nodes = Eigen::Array<double, Eigen::Dynamic, 1, Eigen::ColMajor, kMaxPoints, 1>;

  /// The integral of 1 - prod_g F_g over the pieces f.points.
  double integrate(const Integrand& f) {
    const int pieces = static_cast<int>(f.points.size()) - 1;
    const int n = pieces * kNodes;
    x_.resize(n);
    w_.resize(n);
    for (int i = 0; i < pieces; ++i) {
      double mid = 0.5 * (f.points[i] + f.points[i + 1]), half = 0.5 * (f.points[i + 1] - f.points[i]);
      for (int j = 0; j < kNodes; ++j) {
        x_[i * kNodes + j] = mid + half * unit().first[j];
        w_[i * kNodes + j] = half * unit().second[j];
      }
    }
    product_.setOnes(n);
    z_.resize(n);
    t_.resize(n);
    e_.resize(n);
    int start = 0, end = n;
    for (const auto& d : f.gpus) {
      while (end > start && x_[end - 1] >= d.top) --end;
      while (start < end && product_[start] < 1e-17) ++start;
      if (start == end) break;
      multiply_cdf(d, start, end - start);
    }
    return (w_ * (1.0 - product_)).sum();
  }

 private:
  /// The rule's nodes and weights on [-1, 1], ascending.
  static const std::pair<std::array<double, kNodes>, std::array<double, kNodes>>& unit() {
    static const auto rule = [] {
      using Gauss = boost::math::quadrature::gauss<double, kNodes>;
      static_assert(kNodes % 2 == 0, "an even rule has no node at 0");
      std::pair<std::array<double, kNodes>, std::array<double, kNodes>> r;
      const int half = kNodes / 2;
      for (int k = 0; k < half; ++k) {
        r.first[half + k] = Gauss::abscissa()[k];
        r.second[half + k] = Gauss::weights()[k];
        r.first[half - 1 - k] = -Gauss::abscissa()[k];
        r.second[half - 1 - k] = Gauss::weights()[k];
      }
      return r;
    }();
    return rule;
  }

  /// product[start, start + count) *= F_d(x) at those nodes. The normal CDF is erfc by the Chebyshev-fitted form
  /// t exp(-y^2 + P(t)), t = 1 / (1 + y / 2), y = |z| / sqrt 2 (Numerical Recipes' erfcc, relative error < 1.2e-7
  /// everywhere): one exp, and a log for a lognormal GPU, both Eigen's vectorized ones. A GPU's F enters a product over
  /// up to 144 GPUs, so the product's relative error stays < 2e-5 where it is small and far less where it matters.
  void multiply_cdf(const LoadDistribution& d, int start, int count) {
    // Each step is one Eigen assignment of a vectorizable expression (a select would make the whole expression
    // scalar, with std::exp and std::log). Below a lognormal's support (w <= 0) the CDF is 0: w is clamped to the
    // least positive double, whose log sends z under -700 / s, where the erfc form underflows to 0.
    auto x = x_.segment(start, count);
    auto z = z_.head(count);
    auto t = t_.head(count);
    auto e = e_.head(count);
    if (d.normal) {
      z = (x - d.k1) * (1 / d.sd);
    } else {
      t = ((x - d.k1) * (1 / d.em) + (d.c + 1)).max(std::numeric_limits<double>::min());
      z = t.log() * (1 / d.s);
    }
    t = 1.0 / (1.0 + (0.5 / std::numbers::sqrt2) * z.abs());
    e = -1.26551223 +
        t * (1.00002368 +
             t * (0.37409196 +
                  t * (0.09678418 +
                       t * (-0.18628806 +
                            t * (0.27886807 +
                                 t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    e = (e - 0.5 * z.square()).exp();
    double* product = product_.data() + start;
    for (int i = 0; i < count; ++i) {
      double half_erfc = 0.5 * t[i] * e[i];
      product[i] *= z[i] < 0 ? half_erfc : 1.0 - half_erfc;
    }
  }

  Nodes x_, w_, product_, z_, t_, e_;
};

}  // namespace

std::vector<int> ExpertPlacement::logcnt(int layer) const {
  std::vector<int> count(num_experts, 0);
  for (int e : phy2log[layer]) {
    if (e >= 0) ++count[e];
  }
  return count;
}

std::vector<double> ExpertPlacement::gpu_loads(int layer, std::span<const double> weight) const {
  std::vector<int> count = logcnt(layer);
  std::vector<double> loads(num_gpus, 0.0);
  for (int s = 0; s < num_slots(); ++s) {
    int e = phy2log[layer][s];
    if (e >= 0) loads[s / slots_per_gpu] += weight[e] / count[e];
  }
  return loads;
}

void ExpertPlacement::check() const {
  if (num_experts < 1 || num_gpus < 1 || slots_per_gpu < 1) throw std::invalid_argument("ExpertPlacement: empty");
  for (const auto& row : phy2log) {
    if (row.size() != static_cast<size_t>(num_slots())) throw std::invalid_argument("ExpertPlacement: slot count");
    for (int e : row) {
      if (e < -1 || e >= num_experts) throw std::invalid_argument("ExpertPlacement: expert id out of range");
    }
  }
}

ExpertLoadModel::ExpertLoadModel(const ExpertPlacement& placement, const std::vector<std::vector<double>>& shares,
                                 double transient_sigma, const RoutingShape& shape, bool exact)
    : num_gpus_(placement.num_gpus),
      top_k_(shape.top_k),
      exact_(exact),
      per_octave_(exact ? kExactGridPerOctave : kGridPerOctave),
      grid_points_(per_octave_ * kGridOctaves + 1) {
  placement.check();
  if (placement.num_layers() != static_cast<int>(shares.size()) || placement.num_experts != shape.num_experts) {
    throw std::invalid_argument("ExpertLoadModel: placement and shares disagree on layers or experts");
  }
  double v = std::exp(transient_sigma * transient_sigma);
  s2_ = v - 1;
  s3_ = (v - 1) * (v - 1) * (v + 2);
  layers_.resize(shares.size());
  const int spg = placement.slots_per_gpu;
  for (int l = 0; l < placement.num_layers(); ++l) {
    LayerRouting routing = group_limited_routing(shares[l], shape);
    std::vector<int> count = placement.logcnt(l);
    for (int e = 0; e < shape.num_experts; ++e) {
      if (routing.inclusion[e] > 0 && count[e] == 0) {
        throw std::invalid_argument("ExpertLoadModel: an expert that receives tokens has no replica");
      }
    }
    Layer& layer = layers_[l];
    layer.a1.assign(num_gpus_, 0.0);
    layer.a2.assign(num_gpus_, 0.0);
    layer.a3.assign(num_gpus_, 0.0);
    layer.receive.assign(num_gpus_, 0.0);
    std::vector<double> group_miss(shape.num_groups);
    for (int g = 0; g < num_gpus_; ++g) {
      const int* slots = placement.phy2log[l].data() + static_cast<size_t>(g) * spg;
      std::fill(group_miss.begin(), group_miss.end(), 1.0);
      for (int j = 0; j < spg; ++j) {
        int e = slots[j];
        if (e < 0 || std::find(slots, slots + j, e) != slots + j) continue;  // empty, or counted with its twin
        int here = static_cast<int>(std::count(slots + j, slots + spg, e));
        double share = static_cast<double>(here) / count[e];  // of e's tokens, the part sent here
        double b = routing.inclusion[e] * share;              // pairs per token that land here from e
        layer.a1[g] += b;
        layer.a2[g] += b * b;
        layer.a3[g] += b * b * b;
        group_miss[e / shape.group_size()] *= 1 - routing.within_prob[e] * share;
      }
      // A token misses the GPU if, for each group, the group is not reached or none of the GPU's experts in it is
      // picked; groups and the experts inside a reached group are taken as independent.
      double miss = 1.0;
      for (int G = 0; G < shape.num_groups; ++G) miss *= 1 - routing.group_prob[G] * (1 - group_miss[G]);
      layer.receive[g] = 1 - miss;
    }
    max_receive_ += *std::max_element(layer.receive.begin(), layer.receive.end());
    mean_receive_ += std::accumulate(layer.receive.begin(), layer.receive.end(), 0.0) / num_gpus_;
  }
  max_receive_ /= num_layers();
  mean_receive_ /= num_layers();
  layer_grid_.assign(layers_.size() * grid_points_, kNaN);
  mean_grid_.assign(grid_points_, kNaN);
}

double ExpertLoadModel::evaluate_layer_factor(int layer, double tokens) const {
  if (!(tokens > 0)) return 1.0;
  const Layer& L = layers_.at(layer);
  Integrand f = make_integrand(L.a1, L.a2, L.a3, tokens, s2_, s3_);
  // Fixed Gauss-Legendre on each piece: every piece is smooth (the cuts see to it), so a fixed rule reaches the
  // adaptive reference (evaluate_layer_factor_adaptive) within 5.2e-5 (measured over placements, skews and sizes in
  // tests/cost/expert_load_test.cc).
  thread_local FixedRule rule;  // scratch only
  double integral = rule.integrate(f);
  return std::max(1.0, (f.points.front() + integral) / mean_gpu_load(tokens));
}

double ExpertLoadModel::evaluate_layer_factor_adaptive(int layer, double tokens) const {
  if (!(tokens > 0)) return 1.0;
  const Layer& L = layers_.at(layer);
  Integrand f = make_integrand(L.a1, L.a2, L.a3, tokens, s2_, s3_);
  double integral = 0;
  for (size_t i = 0; i + 1 < f.points.size(); ++i) {
    integral += boost::math::quadrature::gauss_kronrod<double, 15>::integrate(f, f.points[i], f.points[i + 1], 3, 1e-6);
  }
  return std::max(1.0, (f.points.front() + integral) / mean_gpu_load(tokens));
}

double ExpertLoadModel::layer_grid(int layer, int index) const {
  double& cell = layer_grid_[static_cast<size_t>(layer) * grid_points_ + index];
  if (std::isnan(cell)) {
    double tokens = std::exp2(static_cast<double>(index) / per_octave_);
    cell = exact_ ? evaluate_layer_factor_adaptive(layer, tokens) : evaluate_layer_factor(layer, tokens);
  }
  return cell;
}

double ExpertLoadModel::mean_grid(int index) const {
  double& cell = mean_grid_[index];
  if (std::isnan(cell)) {
    double sum = 0;
    for (int l = 0; l < num_layers(); ++l) sum += layer_grid(l, index);
    cell = sum / num_layers();
  }
  return cell;
}

double ExpertLoadModel::max_gpu_factor(double tokens) const {
  return interpolate(tokens, per_octave_, grid_points_, [&](int i) { return mean_grid(i); });
}

double ExpertLoadModel::layer_max_gpu_factor(int layer, double tokens) const {
  return interpolate(tokens, per_octave_, grid_points_, [&](int i) { return layer_grid(layer, i); });
}

double ExpertLoadModel::expected_balancedness() const {
  double sum = 0;
  for (const Layer& L : layers_) {
    double max = *std::max_element(L.a1.begin(), L.a1.end());
    double mean = std::accumulate(L.a1.begin(), L.a1.end(), 0.0) / num_gpus_;
    sum += max > 0 ? mean / max : 1.0;
  }
  return sum / num_layers();
}

double sample_max_gpu_factor(const ExpertPlacement& placement, int layer, std::span<const double> shares,
                             double transient_sigma, const RoutingShape& shape, int64_t tokens, int steps,
                             uint64_t seed) {
  const int spg = placement.slots_per_gpu;
  std::vector<std::vector<int>> replicas(shape.num_experts);  // GPUs of each expert's replicas
  for (int s = 0; s < placement.num_slots(); ++s) {
    int e = placement.phy2log[layer][s];
    if (e >= 0) replicas[e].push_back(s / spg);
  }
  auto rng = Rng::stream(seed, "cost.max-gpu-factor", static_cast<uint64_t>(layer));
  std::vector<double> loads(placement.num_gpus);
  std::vector<int> experts(shape.top_k);
  const double mean = static_cast<double>(shape.top_k) * static_cast<double>(tokens) / placement.num_gpus;
  double sum = 0;
  for (int step = 0; step < steps; ++step) {
    std::vector<double> perturbed = apply_transient(shares, transient_sigma, rng);
    LayerRouting routing = group_limited_routing(perturbed, shape);
    RoutingSampler sampler(routing, shape);
    std::fill(loads.begin(), loads.end(), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
      sampler.draw(rng, experts);
      for (int e : experts) {
        const auto& r = replicas[e];
        if (r.empty()) throw std::invalid_argument("sample_max_gpu_factor: an expert has no replica");
        loads[r.size() == 1 ? r[0] : r[rng.below(static_cast<uint32_t>(r.size()))]] += 1;
      }
    }
    sum += *std::max_element(loads.begin(), loads.end()) / mean;
  }
  return sum / steps;
}

}  // namespace moesim::cost
