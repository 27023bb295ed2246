#include "traces/day_model.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "common/error.h"

namespace moesim::traces {

namespace {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

}  // namespace

double truncated_lognormal_moment(double mu, double sigma, double max, int k) {
  // E[X^k; X <= c] = exp(k mu + k^2 sigma^2 / 2) Phi((ln c - mu - k sigma^2) / sigma).
  const double a = (std::log(max) - mu) / sigma;
  return std::exp(k * mu + k * k * sigma * sigma / 2) * normal_cdf(a - k * sigma) / normal_cdf(a);
}

double mu_for_truncated_mean(double mean, double sigma, double max) {
  // The truncated mean rises monotonically from 0 to max as mu grows: bisect.
  double lo = std::log(mean) - 20 * sigma - 1;
  double hi = std::log(max) + 20 * sigma + 1;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    (truncated_lognormal_moment(mid, sigma, max, 1) < mean ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

double expected_prefix(double mu_l, double sigma_l, double max_l, double mu_n, double sigma_n, int unit) {
  // floor_u(y) = u * #{j >= 1 : y >= u j}, so E[floor_u((L - N)+)] = u sum_j P(L >= N + u j). For each N, P(L >= x)
  // is the truncated lognormal's survival; the expectation over N = exp(mu_n + sigma_n z) is a trapezoid sum in z,
  // which converges geometrically for a smooth integrand against the normal density.
  const double top = normal_cdf((std::log(max_l) - mu_l) / sigma_l);
  auto survival = [&](double x) { return x >= max_l ? 0.0 : (top - normal_cdf((std::log(x) - mu_l) / sigma_l)) / top; };
  constexpr double kStep = 1.0 / 16;
  constexpr double kRange = 8;
  double total = 0;
  double weights = 0;
  for (double z = -kRange; z <= kRange + 1e-12; z += kStep) {
    const double w = std::exp(-z * z / 2);
    const double n = std::exp(mu_n + sigma_n * z);
    double sum = 0;
    for (double x = n + unit; x < max_l; x += unit) sum += survival(x);
    total += w * unit * sum;
    weights += w;
  }
  return total / weights;
}

DaySolution solve_day(const DayProfile& p) {
  if (p.classes.size() != 2) throw InputError(fmt::format("{}: expected exactly 2 request classes", p.file));
  const auto& t = p.targets;
  DaySolution s;
  s.classes.resize(2);
  double w[2], o[2], h[2];
  for (int c = 0; c < 2; ++c) {
    const RequestClass& rc = p.classes[c];
    ClassSolution& cs = s.classes[c];
    cs.output_mu = mu_for_truncated_mean(rc.output.mean, rc.output.sigma, rc.output.max);
    cs.output_mean = truncated_lognormal_moment(cs.output_mu, rc.output.sigma, rc.output.max, 1);
    cs.output_mean_square = truncated_lognormal_moment(cs.output_mu, rc.output.sigma, rc.output.max, 2);
    cs.new_tokens_mu = std::log(rc.new_tokens_mean) - rc.new_tokens_sigma * rc.new_tokens_sigma / 2;
    w[c] = rc.request_share;
    o[c] = cs.output_mean;
    // Sum over k = 1..o of (i + k) = i o + o (o + 1) / 2, so a class adds E[o] (E[i] + h) with
    // h = (E[o^2] / E[o] + 1) / 2 when input and output are independent within the class.
    h[c] = (cs.output_mean_square / cs.output_mean + 1) / 2;
  }
  const double out_mean = w[0] * o[0] + w[1] * o[1];
  // (1) sum_c w_c I_c = (input total / output total) * out_mean
  // (2) sum_c w_c o_c I_c = K out_mean - sum_c w_c o_c h_c
  const double b1 = t.input_tokens / t.output_tokens * out_mean;
  const double b2 = t.kv_len_per_output_token * out_mean - (w[0] * o[0] * h[0] + w[1] * o[1] * h[1]);
  const double det = w[0] * w[1] * (o[1] - o[0]);
  if (std::abs(det) < 1e-9 * out_mean) {
    throw InputError(fmt::format("{}: the two classes need different output means to solve for their inputs", p.file));
  }
  const double inputs[2] = {(b1 * w[1] * o[1] - w[1] * b2) / det, (w[0] * b2 - w[0] * o[0] * b1) / det};
  for (int c = 0; c < 2; ++c) {
    const RequestClass& rc = p.classes[c];
    if (!(inputs[c] >= 1) || inputs[c] >= 0.95 * rc.input.max) {
      throw InputError(fmt::format(
          "{}: no valid request mix: class '{}' would need a mean input of {:.0f} tokens (allowed 1 to {:.0f}); "
          "change the classes' output lengths or shares",
          p.file, rc.name, inputs[c], 0.95 * rc.input.max));
    }
    ClassSolution& cs = s.classes[c];
    cs.input_mu = mu_for_truncated_mean(inputs[c], rc.input.sigma, rc.input.max);
    cs.input_mean = truncated_lognormal_moment(cs.input_mu, rc.input.sigma, rc.input.max, 1);
    cs.prefix_if_continuing = expected_prefix(cs.input_mu, rc.input.sigma, rc.input.max, cs.new_tokens_mu,
                                              rc.new_tokens_sigma, p.cache_unit_tokens);
  }
  s.input_mean = w[0] * s.classes[0].input_mean + w[1] * s.classes[1].input_mean;
  s.output_mean = out_mean;
  const double prefix = w[0] * s.classes[0].prefix_if_continuing + w[1] * s.classes[1].prefix_if_continuing;
  s.continuation_probability = t.cached_fraction * s.input_mean / prefix;
  if (s.continuation_probability > 1) {
    throw InputError(fmt::format(
        "{}: cached fraction {:.3f} unreachable: even if every request continued an earlier one, only {:.3f} of input "
        "tokens would be cached; lower the classes' new_tokens means",
        p.file, t.cached_fraction, prefix / s.input_mean));
  }
  s.requests_per_day = t.input_tokens / s.input_mean;
  s.cached_fraction = s.continuation_probability * prefix / s.input_mean;
  double kv = 0;
  for (int c = 0; c < 2; ++c) kv += w[c] * o[c] * (s.classes[c].input_mean + h[c]);
  s.kv_len_per_output_token = kv / out_mean;
  return s;
}

}  // namespace moesim::traces
