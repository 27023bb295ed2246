// GEMM costs from the DeepGEMM tables: every published point comes back exactly; between points time is
// piecewise linear in M (a fixed part that reads the weights plus a per-row part), and shapes the tables do not
// list borrow the efficiency of the nearest listed shape, corrected for wave quantization on the SMs they get.
// docs/models/cost.md derives the rule and reports its leave-one-out and training-profile errors.
//
//   moesim::cost::GemmModel gemm(hw);
//   double s = gemm.dense_s(4096, 2112, 7168, 132);   // the table's 1,127 TFLOPS point
#pragma once

#include <utility>
#include <vector>

#include "hardware/hardware.h"

namespace moesim::cost {

enum class GemmLayout { kDense, kContiguous, kMasked };

class GemmModel {
 public:
  explicit GemmModel(const hardware::Hardware& hw);

  /// FP8 GEMM of m x n x k (A m x k, B k x n, BF16 output) on `sms` SMs.
  double dense_s(double m, double n, double k, int sms) const;
  /// The table series that serves (n, k): look it up once, then call dense_s with it on hot paths.
  int series_index(double n, double k) const;
  double dense_s(int series, double m, double n, double k, int sms) const;
  double bf16_s(int series, double m, double n, double k, int sms) const;
  /// FP8 grouped GEMM: `groups` local experts, `m_per_group` rows each on average (contiguous: prefill; masked:
  /// decode). Uses the grouped tables' level and the dense curve's dependence on rows.
  double grouped_s(GemmLayout layout, double groups, double m_per_group, double n, double k, int sms) const;
  /// BF16 dense GEMM: the FP8 rule at half the tensor peak and twice the operand bytes.
  double bf16_s(double m, double n, double k, int sms) const;
  /// `batch` BF16 GEMMs of m x n x k side by side (decode's per-head MLA absorption), at the roofline of this GPU's
  /// spec: the larger of the FLOPs at the BF16 peak (scaled to `sms`) and the bytes (weights, inputs, outputs) at
  /// the HBM bandwidth. No table lists such shapes; the in-situ fit (in_situ.h) says how far below it they run.
  double batched_bf16_roofline_s(double m, double batch, double n, double k, int sms) const;

  /// The same without interpolation between tables: which table series serves (n, k). For reports.
  double reference_n(double n, double k) const;

  /// Leave-one-out: time of `point` from its series with that point removed (for docs and tests).
  double leave_one_out_s(size_t dense_index) const;

 private:
  struct Series {
    double n, k;
    std::vector<double> m;        // ascending
    std::vector<double> seconds;  // at each m on 132 SMs
  };
  struct Parts {
    double compute_s;
    double memory_s;
  };
  const Series& series_for(double n, double k) const;
  Parts evaluate(const Series& s, double m, double n, double k, int sms, double compute_scale, double byte_scale,
                 bool carry) const;
  static double series_time(const Series& s, double m);
  double grouped_dense_like_s(double groups, double m, double n, double k, int sms, bool carry) const;
  void prepare_grouped();

  struct Kappa {
    GemmLayout layout;
    double n, k;
    std::vector<std::pair<double, double>> points;  // (log groups, grouped time / dense-like estimate)
  };
  std::vector<Kappa> kappa_;

  const hardware::Hardware& hw_;
  std::vector<Series> dense_;
  int table_sms_;
};

/// Wave efficiency of a GEMM's output tiles on `sms` SMs: tiles / (waves x sms), tiles of 128 x 128 (64 x 128 when
/// m <= 64, as DeepGEMM picks).
double wave_efficiency(double m, double n, int sms);

}  // namespace moesim::cost
