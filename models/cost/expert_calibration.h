// The published routing statistics of DeepSeek-V3/R1 (shared/reference/expert-load.md), the same statistics computed
// from a skew model, and the fit of the `calibrated` preset to them. These are routing measurements, not day outcomes.
//
//   auto model = moesim::cost::skew_statistics(moesim::cost::parse_skew_spec("calibrated"), routing_shape(v3), {});
//   double gap = model[2] / moesim::cost::kMeasuredExpertStatistics[2].value;  // hottest share, model / measured
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "models/cost/expert_popularity.h"

namespace moesim::cost {

/// One measured statistic: what it is, its value, its weight in the fit (1; 0.5 for an extreme over layers, which
/// rests on one layer), its source. The two sources measured different datasets (machine translation; GPQA and
/// AIME25) and no one parameter set matches both: docs/models/expert-load.md shows the residuals.
struct MeasuredStatistic {
  std::string_view name;
  double value;
  double weight;
  std::string_view source;
};

/// The statistics, in the order skew_statistics() returns them. Shares and fractions are fractions (0.024 = 2.4 %).
inline constexpr std::array<MeasuredStatistic, 12> kMeasuredExpertStatistics{{
    {"per-expert max/mean, per layer and decode iteration (128 tokens per expert)", 11.948, 1.0,
     "TensorRT-LLM blog 4, Table 1: imbalance ratio 10.948 by expert slot, no EPLB (R1, EP32, translation)"},
    {"per-expert coefficient of variation, per layer and decode iteration", 164.1 / 128, 1.0,
     "TensorRT-LLM blog 4, Table 1: std 164.1 over mean 128 by expert slot, no EPLB"},
    {"hottest expert's share of a layer, median over layers", 0.024, 1.0, "johanna-rock/moe-balance, GPQA"},
    {"hottest expert's share, smallest layer", 0.0125, 0.5, "johanna-rock/moe-balance, GPQA"},
    {"hottest expert's share, largest layer", 0.052, 0.5, "johanna-rock/moe-balance, GPQA"},
    {"share of the 32 most-used experts, median over layers", 0.31, 1.0, "johanna-rock/moe-balance, GPQA and AIME25"},
    {"share of the 32 most-used experts, smallest layer", 0.25, 0.5, "johanna-rock/moe-balance, GPQA and AIME25"},
    {"share of the 32 most-used experts, largest layer", 0.50, 0.5, "johanna-rock/moe-balance (layer 7)"},
    {"pooled loads below 1.33x the mean", 0.79, 1.0, "johanna-rock/moe-balance, GPQA, 58 layers x 256 experts"},
    {"pooled loads 1.33x-2.66x the mean", 0.177, 1.0, "johanna-rock/moe-balance, GPQA"},
    {"pooled loads 2.66x-4x the mean", 0.024, 1.0, "johanna-rock/moe-balance, GPQA"},
    {"pooled loads 4x the mean or more", 0.009, 1.0, "johanna-rock/moe-balance, GPQA"},
}};

/// How the model statistics are computed.
struct SkewStatisticsOptions {
  int instances = 8;           ///< independent draws of the 58-layer model (seeds 1..instances), averaged
  int iterations = 1;          ///< decode iterations per layer and instance for the per-iteration statistics
  double tokens = 4096;        ///< tokens per iteration: 128 per expert x 256 experts / top-8
  bool exact_routing = false;  ///< draw each token with RoutingSampler (slow) instead of Poisson expert counts
};

/// The model's value of each statistic of kMeasuredExpertStatistics. Whole-workload statistics use the expected
/// shares (the traces hold ~10^5 tokens per expert, so their sampling noise is negligible); per-iteration ones draw
/// `tokens` tokens. Minimum and maximum over layers are taken per instance, then averaged.
std::vector<double> skew_statistics(const SkewSpec& spec, const RoutingShape& shape,
                                    const SkewStatisticsOptions& options);

/// Weighted sum of squared log ratios model / measured.
double skew_fit_loss(const std::vector<double>& model);

/// The least-loss lognormal (sigma, sigma_spread) on a coarse grid refined around its best point (steps 0.05 then
/// 0.01); deterministic.
struct SkewFit {
  double sigma = 0;
  double sigma_spread = 0;
  double loss = 0;
};
SkewFit fit_calibrated_skew(const RoutingShape& shape, const SkewStatisticsOptions& options);

}  // namespace moesim::cost
