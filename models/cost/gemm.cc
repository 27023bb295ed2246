#include "models/cost/gemm.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace moesim::cost {

namespace {

double gemm_bytes(double m, double n, double k) { return m * k + k * n + 2.0 * m * n; }

}  // namespace

double wave_efficiency(double m, double n, int sms) {
  double block_m = m <= 64 ? 64.0 : 128.0;
  double tiles = std::ceil(m / block_m) * std::ceil(n / 128.0);
  double waves = std::ceil(tiles / sms);
  return tiles / (waves * sms);
}

GemmModel::GemmModel(const hardware::Hardware& hw) : hw_(hw), table_sms_(hw.tables_gpu_spec.sms) {
  for (const auto& p : hw.gemm.dense) {
    auto it = std::find_if(dense_.begin(), dense_.end(), [&](const Series& s) { return s.n == p.n && s.k == p.k; });
    if (it == dense_.end()) {
      dense_.push_back({p.n, p.k, {}, {}});
      it = dense_.end() - 1;
    }
    it->m.push_back(p.m);
    it->seconds.push_back(p.seconds());
  }
  if (dense_.empty()) throw InputError("hardware tables: no dense GEMM series");
}

const GemmModel::Series& GemmModel::series_for(double n, double k) const {
  // The nearest listed shape in log N and log K; ties go to the first listed.
  const Series* best = &dense_.front();
  double best_d = std::numeric_limits<double>::infinity();
  for (const auto& s : dense_) {
    double d = std::fabs(std::log(n / s.n)) + std::fabs(std::log(k / s.k));
    if (d < best_d) {
      best_d = d;
      best = &s;
    }
  }
  return *best;
}

double GemmModel::reference_n(double n, double k) const { return series_for(n, k).n; }

// Time of the series' own shape at m rows on the tables' SMs: piecewise linear in m between listed points (a fixed
// part, the weights read, plus a per-row part); below the first point memory-bound, scaling with the bytes moved;
// above the last point compute-bound at the last point's rate.
double GemmModel::series_time(const Series& s, double m) {
  size_t n = s.m.size();
  if (n == 1 || m <= s.m.front()) {
    double ratio = gemm_bytes(m, s.n, s.k) / gemm_bytes(s.m.front(), s.n, s.k);
    return n == 1 && m > s.m.front() ? s.seconds.front() * m / s.m.front() : s.seconds.front() * ratio;
  }
  if (m >= s.m.back()) return s.seconds.back() * m / s.m.back();
  size_t i = 1;
  while (s.m[i] < m) ++i;
  double f = (m - s.m[i - 1]) / (s.m[i] - s.m[i - 1]);
  return s.seconds[i - 1] + f * (s.seconds[i] - s.seconds[i - 1]);
}

// The series gives, at m, an achieved compute efficiency (per SM, net of wave quantization) and an achieved
// bandwidth. A GEMM of another shape, or on another SM count, takes the larger of its FLOPs at that efficiency
// and its bytes at that bandwidth. At the series' own shape on the tables' SMs both equal the series time.
GemmModel::Parts GemmModel::evaluate(const Series& s, double m, double n, double k, int sms, double compute_scale,
                                     double byte_scale, bool carry) const {
  double t_ref = series_time(s, m);
  double peak = hw_.tables_gpu_spec.fp8_flops;
  double flops_ref = 2.0 * m * s.n * s.k;
  double eff = flops_ref / (t_ref * peak * wave_efficiency(m, s.n, table_sms_));
  double bw = gemm_bytes(m, s.n, s.k) / t_ref;
  double flops = 2.0 * m * n * k * compute_scale;
  double compute = flops / (peak * (static_cast<double>(sms) / table_sms_) * eff * wave_efficiency(m, n, sms));
  double memory = gemm_bytes(m, n, k) * byte_scale / bw;
  if (!carry) return {compute, memory};
  return {compute * hw_.carry_factor(hardware::Bound::kCompute), memory * hw_.carry_factor(hardware::Bound::kHbm)};
}

double GemmModel::dense_s(double m, double n, double k, int sms) const {
  if (m <= 0) return 0.0;
  auto p = evaluate(series_for(n, k), m, n, k, sms, 1.0, 1.0, true);
  return std::max(p.compute_s, p.memory_s);
}

double GemmModel::bf16_s(double m, double n, double k, int sms) const {
  if (m <= 0) return 0.0;
  auto p = evaluate(series_for(n, k), m, n, k, sms, 2.0, 2.0, true);
  return std::max(p.compute_s, p.memory_s);
}

double GemmModel::grouped_s(GemmLayout layout, double groups, double m_per_group, double n, double k, int sms) const {
  if (m_per_group <= 0 || groups <= 0) return 0.0;
  const auto& rows = layout == GemmLayout::kMasked ? hw_.gemm.masked : hw_.gemm.contiguous;
  // The dense curve at the same total rows, with `groups` weight matrices to read.
  auto dense_like = [&](double g, double m, int on_sms, bool carry) {
    auto p = evaluate(series_for(n, k), g * m, n, k, on_sms, 1.0, 1.0, carry);
    double extra_weights = (g - 1.0) * n * k / gemm_bytes(g * m, n, k);
    return std::max(p.compute_s, p.memory_s * (1.0 + extra_weights));
  };
  // kappa: the grouped kernel's time over that dense estimate, at each listed point of this (n, k); interpolated in
  // log(groups), clamped outside the listed range. 1 when the layout lists nothing for this shape.
  std::vector<std::pair<double, double>> kappa;
  for (const auto& r : rows) {
    if (r.n != n || r.k != k) continue;
    double model = dense_like(r.groups, r.m, table_sms_, false);
    kappa.emplace_back(std::log(static_cast<double>(r.groups)), r.seconds() / model);
  }
  double factor = 1.0;
  if (!kappa.empty()) {
    std::sort(kappa.begin(), kappa.end());
    double lg = std::log(groups);
    if (lg <= kappa.front().first) {
      factor = kappa.front().second;
    } else if (lg >= kappa.back().first) {
      factor = kappa.back().second;
    } else {
      size_t i = 1;
      while (kappa[i].first < lg) ++i;
      double f = (lg - kappa[i - 1].first) / (kappa[i].first - kappa[i - 1].first);
      factor = kappa[i - 1].second + f * (kappa[i].second - kappa[i - 1].second);
    }
  }
  // The table rows were measured on the tables' SM count; the SM scaling sits in dense_like.
  return factor * dense_like(groups, m_per_group, sms, true);
}

double GemmModel::leave_one_out_s(size_t dense_index) const {
  const auto& p = hw_.gemm.dense.at(dense_index);
  Series s = series_for(p.n, p.k);
  for (size_t i = 0; i < s.m.size(); ++i) {
    if (s.m[i] == p.m) {
      s.m.erase(s.m.begin() + static_cast<long>(i));
      s.seconds.erase(s.seconds.begin() + static_cast<long>(i));
      break;
    }
  }
  return series_time(s, p.m);
}

}  // namespace moesim::cost
