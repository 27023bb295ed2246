#include "models/cost/expert_popularity.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/rng.h"
#include "models/cost/expert_routing.h"

namespace moesim::cost {
namespace {

// Every parameter of a skew spec is a number in [0, kMaxSkewParameter]: the calibrated preset's are below 2, and far
// larger ones only push every exponent to overflow (a sigma of 1e300 makes every weight infinite).
constexpr double kMaxSkewParameter = 100.0;

double parse_number(std::string_view text, std::string_view origin, std::string_view what) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 ||
      value > kMaxSkewParameter) {
    throw InputError(
        fmt::format("{}: {} must be a number in [0, {}], got '{}'", origin, what, kMaxSkewParameter, text));
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

void normalize(std::vector<double>& row) {
  double sum = std::accumulate(row.begin(), row.end(), 0.0);
  for (double& w : row) w /= sum;
}

/// Indices of `row` by descending value, ties to the lower index.
std::vector<int> descending_order(const std::vector<double>& row) {
  std::vector<int> order(row.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return row[a] > row[b]; });
  return order;
}

}  // namespace

RoutingShape routing_shape(const llm::ModelSpec& model) {
  return {model.moe_layers(), model.moe.routed_experts, model.moe.expert_groups, model.moe.experts_per_token,
          model.moe.groups_per_token};
}

RoutingShape routing_shape(const llm::UnitGeometry& g) {
  return {g.moe_layers, g.routed_experts, g.expert_groups, g.experts_per_token, g.groups_per_token};
}

void RoutingShape::check() const {
  if (num_layers < 1 || num_experts < 1 || num_groups < 1 || top_k < 1 || topk_groups < 1) {
    throw InputError("routing shape: layers, experts, groups, top_k and topk_groups must be positive");
  }
  if (num_experts % num_groups != 0) {
    throw InputError(
        fmt::format("routing shape: {} experts do not split into {} equal groups", num_experts, num_groups));
  }
  if (topk_groups > num_groups || top_k > topk_groups * group_size()) {
    throw InputError(fmt::format("routing shape: top-{} experts cannot come from {} of {} groups of {}", top_k,
                                 topk_groups, num_groups, group_size()));
  }
}

SkewSpec parse_skew_spec(std::string_view text, std::string_view origin) {
  std::vector<std::string_view> parts = split(text, ',');
  SkewSpec spec;
  std::optional<double> drift, transient, spread;
  // Options are trailing "key=value" parts; what precedes them is the family (a file path may hold commas).
  while (parts.size() > 1) {
    std::string_view last = parts.back();
    if (last.starts_with("spread=")) {
      spread = parse_number(last.substr(7), origin, "spread");
    } else if (last.starts_with("drift=")) {
      drift = parse_number(last.substr(6), origin, "drift");
    } else if (last.starts_with("transient=")) {
      transient = parse_number(last.substr(10), origin, "transient");
    } else {
      break;
    }
    parts.pop_back();
  }
  std::string_view head = text.substr(0, parts.back().data() + parts.back().size() - text.data());
  size_t colon = head.find(':');
  std::string_view family = head.substr(0, colon);
  std::string_view params = colon == std::string_view::npos ? std::string_view() : head.substr(colon + 1);
  auto need_params = [&](bool needed) {
    if (needed && params.empty())
      throw InputError(fmt::format("{}: '{}' needs a parameter ({}:...)", origin, head, family));
    if (!needed && colon != std::string_view::npos) {
      throw InputError(fmt::format("{}: '{}' takes no parameter", origin, family));
    }
  };
  if (family == "uniform") {
    need_params(false);
    spec.family = SkewFamily::kUniform;
  } else if (family == "lognormal") {
    need_params(true);
    spec.family = SkewFamily::kLognormal;
    for (std::string_view s : split(params, ':')) spec.sigma.push_back(parse_number(s, origin, "lognormal sigma"));
  } else if (family == "zipf") {
    need_params(true);
    spec.family = SkewFamily::kZipf;
    spec.alpha = parse_number(params, origin, "zipf alpha");
  } else if (family == "file") {
    need_params(true);
    spec.family = SkewFamily::kFile;
    spec.file = std::string(params);
  } else if (family == "calibrated") {
    need_params(false);
    spec.family = SkewFamily::kCalibrated;
    spec.sigma = {kCalibratedSigma};
    spec.sigma_spread = kCalibratedSigmaSpread;
    spec.drift_per_hour = kCalibratedDriftPerHour;
  } else {
    throw InputError(fmt::format(
        "{}: unknown expert skew '{}' (expected uniform, lognormal:SIGMA, zipf:ALPHA, file:PATH or calibrated)", origin,
        text));
  }
  if (spread) {
    if (spec.family != SkewFamily::kLognormal && spec.family != SkewFamily::kCalibrated) {
      throw InputError(fmt::format("{}: spread= applies to lognormal skews only", origin));
    }
    spec.sigma_spread = *spread;
  }
  if (drift) spec.drift_per_hour = *drift;
  if (transient) spec.transient_sigma = *transient;
  return spec;
}

std::string to_string(const SkewSpec& spec) {
  std::string out;
  switch (spec.family) {
    case SkewFamily::kUniform:
      out = "uniform";
      break;
    case SkewFamily::kLognormal: {
      out = "lognormal";
      char sep = ':';
      for (double s : spec.sigma) {
        out += fmt::format("{}{}", sep, s);
      }
      break;
    }
    case SkewFamily::kZipf:
      out = fmt::format("zipf:{}", spec.alpha);
      break;
    case SkewFamily::kFile:
      out = "file:" + spec.file;
      break;
    case SkewFamily::kCalibrated:
      out = "calibrated";
      break;
  }
  bool preset = spec.family == SkewFamily::kCalibrated;
  if (preset || spec.sigma_spread != 0) out += fmt::format(",spread={}", spec.sigma_spread);
  if (preset || spec.drift_per_hour != 0) out += fmt::format(",drift={}", spec.drift_per_hour);
  if (preset || spec.transient_sigma != 0) out += fmt::format(",transient={}", spec.transient_sigma);
  return out;
}

std::vector<std::vector<double>> load_weight_matrix(const std::string& path) {
  nlohmann::json doc = load_json_file(path);
  if (!doc.is_array() || doc.empty()) {
    throw InputError(
        fmt::format("{}: expected a list of rows of loads ([[...], ...]), got {}", path, describe_json(doc)));
  }
  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& row = doc[i];
    if (!row.is_array() || row.empty()) {
      throw InputError(
          fmt::format("{}: [{}]: expected a non-empty list of loads, got {}", path, i, describe_json(row)));
    }
    if (i > 0 && row.size() != rows[0].size()) {
      throw InputError(fmt::format("{}: [{}]: expected {} loads like row [0], got {} (rows must be of equal length)",
                                   path, i, rows[0].size(), row.size()));
    }
    std::vector<double> values;
    for (size_t j = 0; j < row.size(); ++j) {
      if (!row[j].is_number() || !std::isfinite(row[j].get<double>()) || row[j].get<double>() < 0) {
        throw InputError(
            fmt::format("{}: [{}][{}]: expected a non-negative number, got {}", path, i, j, describe_json(row[j])));
      }
      values.push_back(row[j].get<double>());
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

ExpertPopularity::ExpertPopularity(const SkewSpec& spec, const RoutingShape& shape, uint64_t seed)
    : spec_(spec),
      shape_(shape),
      seed_(seed),
      transient_sigma_(spec.transient_sigma),
      drift_per_hour_(spec.drift_per_hour) {
  shape_.check();
  const int layers = shape_.num_layers, experts = shape_.num_experts;
  initial_.assign(layers, std::vector<double>(experts, 1.0));
  switch (spec_.family) {
    case SkewFamily::kUniform:
      break;
    case SkewFamily::kLognormal:
    case SkewFamily::kCalibrated: {
      if (spec_.sigma.size() != 1 && spec_.sigma.size() != static_cast<size_t>(layers)) {
        throw InputError(fmt::format("expert skew {}: give one lognormal sigma or one per layer ({}), got {}",
                                     to_string(spec_), layers, spec_.sigma.size()));
      }
      for (int l = 0; l < layers; ++l) {
        double sigma = spec_.sigma.size() == 1 ? spec_.sigma[0] : spec_.sigma[l];
        if (spec_.sigma_spread > 0) {
          sigma *= std::exp(spec_.sigma_spread * Rng::stream(seed_, "cost.popularity.spread", l).normal());
        }
        auto rng = Rng::stream(seed_, "cost.popularity.lognormal", l);
        for (double& w : initial_[l]) w = std::exp(sigma * rng.normal());
      }
      break;
    }
    case SkewFamily::kZipf: {
      for (int l = 0; l < layers; ++l) {
        // Rank r (1-based) weighs r^-alpha; a per-layer Fisher-Yates shuffle assigns ranks to experts.
        std::vector<int> rank_of(experts);
        std::iota(rank_of.begin(), rank_of.end(), 1);
        auto rng = Rng::stream(seed_, "cost.popularity.zipf", l);
        for (int i = experts - 1; i > 0; --i) std::swap(rank_of[i], rank_of[rng.below(i + 1)]);
        for (int e = 0; e < experts; ++e) initial_[l][e] = std::pow(static_cast<double>(rank_of[e]), -spec_.alpha);
      }
      break;
    }
    case SkewFamily::kFile: {
      auto rows = load_weight_matrix(spec_.file);
      if (rows.size() != 1 && rows.size() != static_cast<size_t>(layers)) {
        throw InputError(fmt::format("{}: expected one row for all layers or one per MoE layer ({}), got {} rows",
                                     spec_.file, layers, rows.size()));
      }
      if (rows[0].size() != static_cast<size_t>(experts)) {
        throw InputError(fmt::format("{}: expected {} experts per row, got {}", spec_.file, experts, rows[0].size()));
      }
      for (int l = 0; l < layers; ++l) {
        const auto& row = rows.size() == 1 ? rows[0] : rows[l];
        if (std::accumulate(row.begin(), row.end(), 0.0) <= 0) {
          throw InputError(fmt::format("{}: [{}]: every load is zero", spec_.file, rows.size() == 1 ? 0 : l));
        }
        initial_[l] = row;
      }
      break;
    }
  }
  for (auto& row : initial_) normalize(row);
  sorted_.resize(layers);
  for (int l = 0; l < layers; ++l) {
    sorted_[l] = initial_[l];
    std::sort(sorted_[l].begin(), sorted_[l].end(), std::greater<>());
  }
  reset_drift();
}

void ExpertPopularity::reset_drift() {
  // Latent scores start at the normal quantiles of each expert's initial rank, so that at t = 0 the order of the
  // latents reproduces the initial assignment; the Ornstein-Uhlenbeck steps keep them N(0, 1) while they mix.
  const int experts = shape_.num_experts;
  latent_.assign(shape_.num_layers, std::vector<double>(experts));
  for (int l = 0; l < shape_.num_layers; ++l) {
    std::vector<int> order = descending_order(initial_[l]);
    for (int k = 0; k < experts; ++k) {
      double p = 1.0 - (k + 0.5) / experts;  // upper quantile of rank k
      latent_[l][order[k]] = -std::sqrt(2.0) * boost::math::erfc_inv(2.0 * p);
    }
  }
  current_ = initial_;
  drift_step_ = 0;
}

void ExpertPopularity::advance_drift() {
  double hours = static_cast<double>(kDriftStepNs) / 3.6e12;
  double rho = std::exp(-drift_per_hour_ * hours);
  double noise = std::sqrt(1.0 - rho * rho);
  // One generator per drift step, derived from the step number: any call pattern gives the same path.
  for (int l = 0; l < shape_.num_layers; ++l) {
    auto rng = Rng::stream(seed_, "cost.popularity.drift", (static_cast<uint64_t>(drift_step_) << 16) + l);
    for (double& z : latent_[l]) z = rho * z + noise * rng.normal();
    std::vector<int> order = descending_order(latent_[l]);
    for (int k = 0; k < shape_.num_experts; ++k) current_[l][order[k]] = sorted_[l][k];
  }
  ++drift_step_;
}

const std::vector<std::vector<double>>& ExpertPopularity::shares_at(int64_t t_ns) {
  if (drift_per_hour_ <= 0) return initial_;
  int64_t target = std::max<int64_t>(0, t_ns) / kDriftStepNs;
  if (target < drift_step_) reset_drift();
  while (drift_step_ < target) advance_drift();
  return current_;
}

std::vector<std::vector<double>> ExpertPopularity::expected_loads(int64_t t_ns, double tokens) {
  const auto& shares = shares_at(t_ns);
  std::vector<std::vector<double>> loads;
  loads.reserve(shares.size());
  for (const auto& row : shares) {
    loads.push_back(group_limited_routing(row, shape_).inclusion);
    for (double& w : loads.back()) w *= tokens;
  }
  return loads;
}

}  // namespace moesim::cost
