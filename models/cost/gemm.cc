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
  prepare_grouped();
}

int GemmModel::series_index(double n, double k) const {
  // The nearest listed shape in log N and log K; ties go to the first listed.
  int best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < dense_.size(); ++i) {
    double d = std::fabs(std::log(n / dense_[i].n)) + std::fabs(std::log(k / dense_[i].k));
    if (d < best_d) {
      best_d = d;
      best = static_cast<int>(i);
    }
  }
  return best;
}

const GemmModel::Series& GemmModel::series_for(double n, double k) const { return dense_[series_index(n, k)]; }

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

// The series gives, at m, a time on the tables' GPU. Whether that time was bound by compute or by memory is read
// off the point itself (the larger of achieved FLOP/s over peak and achieved B/s over peak): the binding side gets
// the whole time, the other side the share its fraction of peak implies. That yields a compute efficiency (per SM,
// net of wave quantization) and a bandwidth; a GEMM of another shape, SM count or GPU takes the larger of its FLOPs
// at that efficiency and its bytes at that bandwidth. At a table point on the tables' GPU this is the table time.
GemmModel::Parts GemmModel::evaluate(const Series& s, double m, double n, double k, int sms, double compute_scale,
                                     double byte_scale, bool carry) const {
  double t_ref = series_time(s, m);
  double peak = hw_.tables_gpu_spec.fp8_flops;
  double flops_ref = 2.0 * m * s.n * s.k;
  double bytes_ref = gemm_bytes(m, s.n, s.k);
  double frac_compute = flops_ref / t_ref / peak;
  double frac_memory = bytes_ref / t_ref / hw_.tables_gpu_spec.hbm_bytes_per_s;
  double t_compute_ref = t_ref * std::min(1.0, frac_compute / frac_memory);
  double t_memory_ref = t_ref * std::min(1.0, frac_memory / frac_compute);
  double eff = flops_ref / (t_compute_ref * peak * wave_efficiency(m, s.n, table_sms_));
  double bw = bytes_ref / t_memory_ref;
  double flops = 2.0 * m * n * k * compute_scale;
  double compute = flops / (peak * (static_cast<double>(sms) / table_sms_) * eff * wave_efficiency(m, n, sms));
  // Achieved bandwidth is taken as proportional to the SMs issuing the loads: on fewer SMs a bandwidth-bound GEMM
  // slows too (the training profile's kv_b on 112 SMs: -27 % error without this rule, -14 % with it).
  double memory = gemm_bytes(m, n, k) * byte_scale / bw * (static_cast<double>(table_sms_) / sms);
  if (!carry) return {compute, memory};
  return {compute * hw_.carry_factor(hardware::Bound::kCompute), memory * hw_.carry_factor(hardware::Bound::kHbm)};
}

double GemmModel::dense_s(int series, double m, double n, double k, int sms) const {
  if (m <= 0) return 0.0;
  auto p = evaluate(dense_[static_cast<size_t>(series)], m, n, k, sms, 1.0, 1.0, true);
  return std::max(p.compute_s, p.memory_s);
}

double GemmModel::bf16_s(int series, double m, double n, double k, int sms) const {
  if (m <= 0) return 0.0;
  auto p = evaluate(dense_[static_cast<size_t>(series)], m, n, k, sms, 2.0, 2.0, true);
  return std::max(p.compute_s, p.memory_s);
}

double GemmModel::batched_bf16_roofline_s(double m, double batch, double n, double k, int sms) const {
  if (m <= 0) return 0.0;
  const double flops = 2.0 * batch * m * n * k;
  const double bytes = 2.0 * batch * (n * k + m * k + m * n);
  const double peak = hw_.gpu.bf16_flops * sms / hw_.gpu.sms;
  return std::max(flops / peak, bytes / hw_.gpu.hbm_bytes_per_s);
}

double GemmModel::dense_s(double m, double n, double k, int sms) const {
  return dense_s(series_index(n, k), m, n, k, sms);
}

double GemmModel::bf16_s(double m, double n, double k, int sms) const {
  return bf16_s(series_index(n, k), m, n, k, sms);
}

double GemmModel::grouped_dense_like_s(double groups, double m, double n, double k, int sms, bool carry) const {
  // The dense curve at the same total rows, with `groups` weight matrices to read.
  auto p = evaluate(series_for(n, k), groups * m, n, k, sms, 1.0, 1.0, carry);
  double extra_weights = (groups - 1.0) * n * k / gemm_bytes(groups * m, n, k);
  return std::max(p.compute_s, p.memory_s * (1.0 + extra_weights));
}

void GemmModel::prepare_grouped() {
  // kappa: the grouped kernel's time over the dense-like estimate at each listed point, by (layout, n, k).
  for (auto layout : {GemmLayout::kContiguous, GemmLayout::kMasked}) {
    const auto& rows = layout == GemmLayout::kMasked ? hw_.gemm.masked : hw_.gemm.contiguous;
    for (const auto& r : rows) {
      auto it = std::find_if(kappa_.begin(), kappa_.end(),
                             [&](const Kappa& q) { return q.layout == layout && q.n == r.n && q.k == r.k; });
      if (it == kappa_.end()) {
        kappa_.push_back({layout, r.n, r.k, {}});
        it = kappa_.end() - 1;
      }
      double model = grouped_dense_like_s(r.groups, r.m, r.n, r.k, table_sms_, false);
      it->points.emplace_back(std::log(static_cast<double>(r.groups)), r.seconds() / model);
    }
  }
  for (auto& q : kappa_) std::sort(q.points.begin(), q.points.end());
}

double GemmModel::grouped_s(GemmLayout layout, double groups, double m_per_group, double n, double k, int sms) const {
  if (m_per_group <= 0 || groups <= 0) return 0.0;
  // kappa interpolated in log(groups), clamped outside the listed range; 1 where the layout lists nothing for
  // this (n, k).
  double factor = 1.0;
  for (const auto& q : kappa_) {
    if (q.layout != layout || q.n != n || q.k != k) continue;
    const auto& pts = q.points;
    double lg = std::log(groups);
    if (lg <= pts.front().first) {
      factor = pts.front().second;
    } else if (lg >= pts.back().first) {
      factor = pts.back().second;
    } else {
      size_t i = 1;
      while (pts[i].first < lg) ++i;
      double f = (lg - pts[i - 1].first) / (pts[i].first - pts[i - 1].first);
      factor = pts[i - 1].second + f * (pts[i].second - pts[i - 1].second);
    }
    break;
  }
  return factor * grouped_dense_like_s(groups, m_per_group, n, k, sms, true);
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
