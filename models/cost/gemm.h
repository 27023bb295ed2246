// GEMM costs in one form for every GPU kind: the output is cut into tiles (block_m x block_n), the tiles run in
// waves over the SMs, a tile takes a fixed number of cycles plus the larger of its MMAs at the per-SM tensor peak
// and its operand loads at a per-SM load rate; the whole GEMM takes at least its unique bytes at the HBM bandwidth,
// plus a launch. Of the tile shapes DeepGEMM can pick, the fastest is taken. The form's six constants are fitted once
// to DeepGEMM's published H800 tables (hardware/tables/h800-deepgemm.json: dense, contiguous and masked grouped
// rows); every kind then runs it with its own SMs, clocks, peaks and HBM bandwidth (docs/models/cost.md). Time
// never falls as rows, columns, depth or groups grow (each term is non-decreasing in them, and so is a minimum).
//
//   moesim::cost::GemmModel gemm(hw);
//   double s = gemm.dense_s(4096, 2112, 7168, 132);   // the table's 1,127 TFLOPS point, within the fit's error
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "hardware/hardware.h"

namespace moesim::cost {

enum class GemmLayout { kDense, kContiguous, kMasked };

/// The tile-wave form's constants, fitted to a GPU's DeepGEMM rows (fit_gemm_form).
struct GemmForm {
  double fixed_cycles = 0;        ///< per tile: prologue, epilogue and pipeline fill, in SM cycles
  double mma_efficiency = 0;      ///< fraction of the per-SM tensor peak while a tile's MMAs run
  double sm_bytes_per_cycle = 0;  ///< operand load rate of one SM (global memory / L2 into shared memory)
  double hbm_efficiency = 0;      ///< fraction of the HBM bandwidth the unique bytes move at
  double launch_s = 0;            ///< launch and tail per kernel
  double masked_factor = 0;       ///< masked grouped layout: tile time over the contiguous layout's
  double rms_error = 0;           ///< relative RMS error over the rows fitted
  int points = 0;
};

/// A GEMM's shape with what the form needs of it but its rows, computed once (each operator of a unit prepares its
/// own): the weights' bytes and, for each tile shape the form may take, its column count and its time.
struct PreparedGemm {
  GemmLayout layout = GemmLayout::kDense;
  double n = 0, k = 0, a_bytes = 1, b_bytes = 1;
  struct Tile {
    double cols;     ///< ceil(n / block_n)
    double seconds;  ///< one tile's time
  };
  std::array<std::vector<Tile>, 3> tiles;  ///< by block_m: 32, 64, 128
};
PreparedGemm prepare_gemm(const GemmForm& form, const hardware::GpuSpec& gpu, GemmLayout layout, double n, double k,
                          double peak_flops, double a_bytes, double b_bytes);
/// The form's time of `groups` x (m x n x k) for a prepared shape: what gemm_form_s computes, without redoing the
/// per-shape work.
double prepared_gemm_s(const GemmForm& form, const hardware::GpuSpec& gpu, const PreparedGemm& p, double groups,
                       double m, int sms);

/// Fits the form to `tables` measured on a GPU of spec `gpu` (Levenberg-Marquardt on the log time ratios).
GemmForm fit_gemm_form(const hardware::GemmTables& tables, const hardware::GpuSpec& gpu);

/// One table row beside the form fitted on every row (in sample) and on every row but it (left out).
struct GemmRowCheck {
  GemmLayout layout = GemmLayout::kDense;
  double groups = 1, m = 0, n = 0, k = 0;
  double measured_s = 0, fitted_s = 0, left_out_s = 0;
};
std::vector<GemmRowCheck> check_gemm_form(const hardware::GemmTables& tables, const hardware::GpuSpec& gpu);
std::string_view layout_name(GemmLayout layout);

class GemmModel {
 public:
  /// Fits the form on hw's kernel tables (measured on hw.tables_gpu_spec) and prices on hw.gpu.
  explicit GemmModel(const hardware::Hardware& hw);

  /// FP8 GEMM of m x n x k (A m x k, B k x n, BF16 output) on `sms` SMs.
  double dense_s(double m, double n, double k, int sms) const;
  /// BF16 dense GEMM: the same form at the BF16 peak and two-byte operands.
  double bf16_s(double m, double n, double k, int sms) const;
  /// Grouped GEMM: `groups` local experts, `m_per_group` rows each on average (contiguous: prefill; masked:
  /// decode), weights stored in `weights` (FP8 by default; hardware::compute_precision says what it computes in).
  double grouped_s(GemmLayout layout, double groups, double m_per_group, double n, double k, int sms,
                   hardware::Precision weights = hardware::Precision::kFp8) const;
  /// Dense GEMM with weights stored in `weights`: FP8 is dense_s, BF16 bf16_s, FP4 at the FP4 peak (Blackwell) or
  /// dequantized to BF16 (Hopper).
  double gemm_s(hardware::Precision weights, double m, double n, double k, int sms) const;
  /// `batch` BF16 GEMMs of m x n x k side by side (decode's per-head MLA absorption), at the roofline of this GPU's
  /// spec: the larger of the FLOPs at the BF16 peak (scaled to `sms`) and the bytes (weights, inputs, outputs) at
  /// the HBM bandwidth. No table lists such shapes; the in-situ fit (in_situ.h) says how far below it they run.
  double batched_bf16_roofline_s(double m, double batch, double n, double k, int sms) const;

  const GemmForm& form() const { return form_; }
  /// A shape prepared once for time_s (hot paths): weights in `weights`, the layout, n and k.
  PreparedGemm prepare(hardware::Precision weights, GemmLayout layout, double n, double k) const;
  double time_s(const PreparedGemm& p, double groups, double m, int sms) const {
    return prepared_gemm_s(form_, gpu_, p, groups, m, sms);
  }
  /// The LM head's and other BF16 GEMMs' shape prepared (BF16 weights and activations).
  PreparedGemm prepare_bf16(double n, double k) const;

 private:
  const hardware::GpuSpec& gpu_;
  GemmForm form_;
};

/// Time of the form on `gpu`: `groups` GEMMs of m x n x k in `layout`, at `peak_flops`, with activation operands of
/// `a_bytes` and weights of `b_bytes` an element (1 and 1 for FP8, 2 and 2 for BF16, 2 and 0.53 for MXFP4 weights
/// dequantized on Hopper). What GemmModel and the fit evaluate.
double gemm_form_s(const GemmForm& form, const hardware::GpuSpec& gpu, GemmLayout layout, double groups, double m,
                   double n, double k, int sms, double peak_flops, double a_bytes, double b_bytes);

}  // namespace moesim::cost
