#include "models/cost/gemm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <unsupported/Eigen/NonLinearOptimization>
#include <unsupported/Eigen/NumericalDiff>
#include <vector>

#include "common/error.h"
#include "models/cost/fit_error.h"

namespace moesim::cost {

namespace {

// The tile shapes DeepGEMM chooses among. Hopper (deep_gemm/jit_kernels/config.py, get_best_configs, at the commit
// of its published tables): block_m 64 when m <= 64, else 128 (always 128 in the contiguous grouped layout, its M
// alignment); block_n from 16 to 128 in steps of 8. Blackwell (csrc/jit_kernels/heuristics/sm100.hpp): block_m 32,
// 64 or 128 by m (128 for grouped layouts), block_n 16 or 32 to 256 in steps of 32, and 2-SM clusters that multicast
// the weight tile, so each SM loads half of it. DeepGEMM picks by waves, then the fullest last wave; the form takes
// the fastest of the same set, which keeps its time non-decreasing in every dimension.
struct TileSet {
  double bm;
  double bn_first, bn_step, bn_max;  // bn_first, then multiples of bn_step up to bn_max
  double weight_load_share;          // of the weight tile, the share one SM loads
};

constexpr double kBlockMs[] = {32.0, 64.0, 128.0};
size_t block_m_index(double bm) { return bm == 32.0 ? 0 : bm == 64.0 ? 1 : 2; }

TileSet tile_set(const hardware::GpuSpec& gpu, GemmLayout layout, double m) {
  const bool grouped = layout != GemmLayout::kDense;
  if (gpu.architecture == hardware::Architecture::kBlackwell) {
    const double bm = grouped || m > 64.0 ? 128.0 : m > 32.0 ? 64.0 : 32.0;
    return {bm, 16.0, 32.0, 256.0, 0.5};
  }
  return {layout == GemmLayout::kContiguous || m > 64.0 ? 128.0 : 64.0, 16.0, 8.0, 128.0, 1.0};
}

struct Row {
  GemmLayout layout;
  double groups, m, n, k, seconds;
};

std::vector<Row> table_rows(const hardware::GemmTables& t) {
  std::vector<Row> rows;
  for (const auto& p : t.dense) rows.push_back({GemmLayout::kDense, 1.0, p.m, p.n, p.k, p.seconds()});
  for (const auto& p : t.contiguous) rows.push_back({GemmLayout::kContiguous, double(p.groups), p.m, p.n, p.k, p.seconds()});
  for (const auto& p : t.masked) rows.push_back({GemmLayout::kMasked, double(p.groups), p.m, p.n, p.k, p.seconds()});
  return rows;
}

// The fitted parameters, in log space so that each stays positive.
GemmForm form_of(const Eigen::VectorXd& x) {
  GemmForm f;
  f.fixed_cycles = std::exp(x(0)) * 1e3;
  f.mma_efficiency = std::exp(x(1));
  f.sm_bytes_per_cycle = std::exp(x(2));
  f.hbm_efficiency = std::exp(x(3));
  f.launch_s = std::exp(x(4)) * 1e-6;
  f.masked_factor = std::exp(x(5));
  return f;
}

struct FitFunctor {
  using Scalar = double;
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;
  enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
  const std::vector<Row>* rows;
  const hardware::GpuSpec* gpu;
  int inputs() const { return 6; }
  int values() const { return static_cast<int>(rows->size()); }
  int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& r) const {
    GemmForm f = form_of(x);
    for (size_t i = 0; i < rows->size(); ++i) {
      const Row& w = (*rows)[i];
      double t = gemm_form_s(f, *gpu, w.layout, w.groups, w.m, w.n, w.k, gpu->sms, gpu->fp8_flops, 1.0, 1.0);
      r(static_cast<Eigen::Index>(i)) = std::log(t / w.seconds);
    }
    return 0;
  }
};

}  // namespace

PreparedGemm prepare_gemm(const GemmForm& form, const hardware::GpuSpec& gpu, GemmLayout layout, double n, double k,
                          double peak_flops, double a_bytes, double b_bytes) {
  PreparedGemm p{layout, n, k, a_bytes, b_bytes, {}};
  const double clock = gpu.sustained_clock_mhz * 1e6;
  const double mma_rate = peak_flops / gpu.sms * form.mma_efficiency;  // FLOP/s of one SM
  const double tile_factor = layout == GemmLayout::kMasked ? form.masked_factor : 1.0;
  const TileSet set = tile_set(gpu, layout, 1e9);  // block_n and the multicast do not depend on m
  for (size_t i = 0; i < p.tiles.size(); ++i) {
    const double bm = kBlockMs[i];
    for (double bn = set.bn_first; bn <= set.bn_max; bn = bn < set.bn_step ? set.bn_step : bn + set.bn_step) {
      const double mma = 2.0 * bm * bn * k / mma_rate;
      const double load =
          (bm * a_bytes + bn * b_bytes * set.weight_load_share) * k / (form.sm_bytes_per_cycle * clock);
      p.tiles[i].push_back({std::ceil(n / bn), tile_factor * (form.fixed_cycles / clock + std::max(mma, load))});
    }
  }
  return p;
}

double prepared_gemm_s(const GemmForm& form, const hardware::GpuSpec& gpu, const PreparedGemm& p, double groups,
                       double m, int sms) {
  if (m <= 0 || groups <= 0) return 0.0;
  const double bytes = groups * (p.n * p.k * p.b_bytes + m * p.k * p.a_bytes + 2.0 * m * p.n);
  const double memory = bytes / (gpu.hbm_bytes_per_s * form.hbm_efficiency);
  const double bm = tile_set(gpu, p.layout, m).bm;
  const double rows = groups * std::ceil(m / bm);
  double best = std::numeric_limits<double>::infinity();
  for (const auto& t : p.tiles[block_m_index(bm)]) {
    const double waves = std::ceil(rows * t.cols / sms);
    best = std::min(best, std::max(waves * t.seconds, memory));
    if (best <= memory) break;  // bound by its bytes: no tile shape does better
  }
  return form.launch_s + best;
}

double gemm_form_s(const GemmForm& form, const hardware::GpuSpec& gpu, GemmLayout layout, double groups, double m,
                   double n, double k, int sms, double peak_flops, double a_bytes, double b_bytes) {
  if (m <= 0 || groups <= 0) return 0.0;
  return prepared_gemm_s(form, gpu, prepare_gemm(form, gpu, layout, n, k, peak_flops, a_bytes, b_bytes), groups, m,
                         sms);
}

GemmForm fit_gemm_form(const hardware::GemmTables& tables, const hardware::GpuSpec& gpu) {
  const auto rows = table_rows(tables);
  if (rows.size() < 6) throw InputError("DeepGEMM tables: at least 6 rows are needed to fit the GEMM form");
  FitFunctor functor{&rows, &gpu};
  Eigen::NumericalDiff<FitFunctor> numeric(functor);
  Eigen::LevenbergMarquardt<Eigen::NumericalDiff<FitFunctor>> lm(numeric);
  // Start: 4 k cycles a tile, 75 % of the tensor peak, 64 B/cycle per SM, 80 % of HBM, 2 us launch, masked = 1.
  Eigen::VectorXd x(6);
  x << std::log(4.0), std::log(0.75), std::log(64.0), std::log(0.8), std::log(2.0), 0.0;
  lm.parameters.maxfev = 4000;
  lm.minimize(x);
  GemmForm f = form_of(x);
  std::vector<double> errors;
  for (const auto& w : rows) {
    errors.push_back(gemm_form_s(f, gpu, w.layout, w.groups, w.m, w.n, w.k, gpu.sms, gpu.fp8_flops, 1.0, 1.0) /
                         w.seconds -
                     1.0);
  }
  f.points = static_cast<int>(rows.size());
  f.rms_error = rms(errors);
  return f;
}

std::vector<GemmRowCheck> check_gemm_form(const hardware::GemmTables& tables, const hardware::GpuSpec& gpu) {
  const GemmForm all = fit_gemm_form(tables, gpu);
  std::vector<GemmRowCheck> out;
  auto check = [&](GemmLayout layout, std::vector<hardware::GemmPoint> hardware::GemmTables::*series) {
    const auto& rows = tables.*series;
    for (size_t i = 0; i < rows.size(); ++i) {
      hardware::GemmTables without = tables;
      (without.*series).erase((without.*series).begin() + static_cast<long>(i));
      const GemmForm left = fit_gemm_form(without, gpu);
      const auto& p = rows[i];
      auto at = [&](const GemmForm& f) {
        return gemm_form_s(f, gpu, layout, p.groups, p.m, p.n, p.k, gpu.sms, gpu.fp8_flops, 1.0, 1.0);
      };
      out.push_back({layout, double(p.groups), p.m, p.n, p.k, p.seconds(), at(all), at(left)});
    }
  };
  check(GemmLayout::kDense, &hardware::GemmTables::dense);
  check(GemmLayout::kContiguous, &hardware::GemmTables::contiguous);
  check(GemmLayout::kMasked, &hardware::GemmTables::masked);
  return out;
}

std::string_view layout_name(GemmLayout layout) {
  switch (layout) {
    case GemmLayout::kDense:
      return "dense";
    case GemmLayout::kContiguous:
      return "contiguous";
    case GemmLayout::kMasked:
      return "masked";
  }
  return "dense";
}

GemmModel::GemmModel(const hardware::Hardware& hw)
    : gpu_(hw.gpu), form_(fit_gemm_form(hw.gemm, hw.tables_gpu_spec)) {}

namespace {

// The form's arguments for weights stored in `weights` on `gpu`: the compute peak and the two operands' bytes (the
// activations are FP8 for an FP8 or FP4 compute, BF16 for a BF16 one).
struct Operands {
  double peak, a_bytes, b_bytes;
};
Operands operands(const hardware::GpuSpec& gpu, hardware::Precision weights) {
  using hardware::Precision;
  const Precision compute = hardware::compute_precision(weights, gpu);
  const double a = compute == Precision::kBf16 ? 2.0 : 1.0;
  return {hardware::peak_flops(gpu, compute), a, hardware::element_bytes(weights)};
}

}  // namespace

double GemmModel::dense_s(double m, double n, double k, int sms) const {
  return gemm_form_s(form_, gpu_, GemmLayout::kDense, 1.0, m, n, k, sms, gpu_.fp8_flops, 1.0, 1.0);
}

double GemmModel::bf16_s(double m, double n, double k, int sms) const {
  return gemm_form_s(form_, gpu_, GemmLayout::kDense, 1.0, m, n, k, sms, gpu_.bf16_flops, 2.0, 2.0);
}

PreparedGemm GemmModel::prepare(hardware::Precision weights, GemmLayout layout, double n, double k) const {
  const Operands o = operands(gpu_, weights);
  return prepare_gemm(form_, gpu_, layout, n, k, o.peak, o.a_bytes, o.b_bytes);
}

PreparedGemm GemmModel::prepare_bf16(double n, double k) const {
  return prepare_gemm(form_, gpu_, GemmLayout::kDense, n, k, gpu_.bf16_flops, 2.0, 2.0);
}

double GemmModel::gemm_s(hardware::Precision weights, double m, double n, double k, int sms) const {
  const Operands o = operands(gpu_, weights);
  return gemm_form_s(form_, gpu_, GemmLayout::kDense, 1.0, m, n, k, sms, o.peak, o.a_bytes, o.b_bytes);
}

double GemmModel::grouped_s(GemmLayout layout, double groups, double m_per_group, double n, double k, int sms,
                            hardware::Precision weights) const {
  const Operands o = operands(gpu_, weights);
  return gemm_form_s(form_, gpu_, layout, groups, m_per_group, n, k, sms, o.peak, o.a_bytes, o.b_bytes);
}

double GemmModel::batched_bf16_roofline_s(double m, double batch, double n, double k, int sms) const {
  if (m <= 0) return 0.0;
  const double flops = 2.0 * batch * m * n * k;
  const double bytes = 2.0 * batch * (n * k + m * k + m * n);
  const double peak = gpu_.bf16_flops * sms / gpu_.sms;
  return std::max(flops / peak, bytes / gpu_.hbm_bytes_per_s);
}

}  // namespace moesim::cost
