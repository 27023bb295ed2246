#include "models/cost/expert_calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/cost/expert_routing.h"

namespace moesim::cost {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

std::vector<double> skew_statistics(const SkewSpec& spec, const RoutingShape& shape,
                                    const SkewStatisticsOptions& options) {
  std::vector<double> out(kMeasuredExpertStatistics.size(), 0.0);
  const int experts = shape.num_experts;
  const int top = std::max(1, experts / 8);  // the 32 most-used of 256 (12.5 %)
  double pooled[4] = {0, 0, 0, 0};
  double pooled_n = 0, iteration_max = 0, iteration_cv = 0, iteration_n = 0;
  for (int instance = 1; instance <= options.instances; ++instance) {
    ExpertPopularity popularity(spec, shape, static_cast<uint64_t>(instance));
    auto rng = Rng::stream(static_cast<uint64_t>(instance), "cost.skew-statistics");
    std::vector<double> hottest, top_share;
    for (int l = 0; l < shape.num_layers; ++l) {
      const auto& shares = popularity.initial_shares()[l];
      LayerRouting routing = group_limited_routing(shares, shape);
      std::vector<double> share(experts);
      for (int e = 0; e < experts; ++e) share[e] = routing.inclusion[e] / shape.top_k;
      std::vector<double> sorted = share;
      std::sort(sorted.begin(), sorted.end(), std::greater<>());
      hottest.push_back(sorted[0]);
      top_share.push_back(std::accumulate(sorted.begin(), sorted.begin() + top, 0.0));
      for (double s : share) {
        double x = s * experts;  // load as a multiple of the mean
        ++pooled[x < 1.33 ? 0 : x < 2.66 ? 1 : x < 4 ? 2 : 3];
        ++pooled_n;
      }
      for (int it = 0; it < options.iterations; ++it) {
        std::vector<double> count(experts, 0.0);
        std::vector<double> step_shares = apply_transient(shares, popularity.transient_sigma(), rng);
        LayerRouting step = group_limited_routing(step_shares, shape);
        if (options.exact_routing) {
          RoutingSampler sampler(step, shape);
          std::vector<int> picked(shape.top_k);
          for (int t = 0; t < static_cast<int>(options.tokens); ++t) {
            sampler.draw(rng, picked);
            for (int e : picked) ++count[e];
          }
        } else {
          for (int e = 0; e < experts; ++e)
            count[e] = static_cast<double>(rng.poisson(options.tokens * step.inclusion[e]));
        }
        double mean = std::accumulate(count.begin(), count.end(), 0.0) / experts;
        double var = 0;
        for (double c : count) var += (c - mean) * (c - mean);
        iteration_max += *std::max_element(count.begin(), count.end()) / mean;
        iteration_cv += std::sqrt(var / experts) / mean;
        ++iteration_n;
      }
    }
    out[2] += median(hottest);
    out[3] += *std::min_element(hottest.begin(), hottest.end());
    out[4] += *std::max_element(hottest.begin(), hottest.end());
    out[5] += median(top_share);
    out[6] += *std::min_element(top_share.begin(), top_share.end());
    out[7] += *std::max_element(top_share.begin(), top_share.end());
  }
  for (int i = 2; i <= 7; ++i) out[i] /= options.instances;
  out[0] = iteration_max / iteration_n;
  out[1] = iteration_cv / iteration_n;
  for (int b = 0; b < 4; ++b) out[8 + b] = pooled[b] / pooled_n;
  return out;
}

double skew_fit_loss(const std::vector<double>& model) {
  double loss = 0;
  for (size_t i = 0; i < kMeasuredExpertStatistics.size(); ++i) {
    const auto& m = kMeasuredExpertStatistics[i];
    double r = std::log(std::max(model[i], 1e-9) / m.value);
    loss += m.weight * r * r;
  }
  return loss;
}

SkewFit fit_calibrated_skew(const RoutingShape& shape, const SkewStatisticsOptions& options) {
  auto loss_at = [&](double sigma, double spread) {
    SkewSpec spec;
    spec.family = SkewFamily::kLognormal;
    spec.sigma = {sigma};
    spec.sigma_spread = spread;
    return skew_fit_loss(skew_statistics(spec, shape, options));
  };
  SkewFit best{0, 0, INFINITY};
  auto search = [&](double s0, double s1, double t0, double t1, double step) {
    for (int i = 0; s0 + i * step <= s1 + 1e-9; ++i) {
      for (int j = 0; t0 + j * step <= t1 + 1e-9; ++j) {
        double sigma = std::round((s0 + i * step) * 100) / 100, spread = std::round((t0 + j * step) * 100) / 100;
        if (sigma <= 0 || spread < 0) continue;
        double loss = loss_at(sigma, spread);
        if (loss < best.loss) best = {sigma, spread, loss};
      }
    }
  };
  search(0.40, 1.40, 0.0, 0.60, 0.05);
  SkewFit coarse = best;
  search(coarse.sigma - 0.05, coarse.sigma + 0.05, coarse.sigma_spread - 0.05, coarse.sigma_spread + 0.05, 0.01);
  return best;
}

}  // namespace moesim::cost
