// In-situ kernel efficiencies: kernels inside a full serving step run slower (or faster) than in their own published
// benchmarks (clocks, cache and HBM contention, launch overhead, newer kernel versions). For each kernel family an
// efficiency relative to its base table is fitted by least squares (Eigen) to DeepSeek's published prefill and decode
// profiles and the training profile's GEMMs: time = base time / efficiency. These are the only fitted parameters of
// the step model, and they are fitted to kernel times only. docs/models/step.md reports the fit.
//
//   auto fit = moesim::cost::fit_in_situ(hw, model);
//   double t = gemm.dense_s(m, n, k, sms) / fit.efficiency(KernelFamily::kDenseGemm);
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/hardware.h"
#include "models/llm/model.h"

namespace moesim::cost {

/// The kernel families and their base tables:
/// - dense GEMM (FP8; the BF16 LM head by the same rule): DeepGEMM README @989c9e3 normal-GEMM table (GemmModel)
/// - batched GEMM (decode's BF16 per-head MLA absorption): the roofline of the GPU's spec (BF16 peak, HBM)
/// - grouped contiguous / grouped masked GEMM: DeepGEMM README @989c9e3 grouped tables
/// - prefill attention: the training profile's FlashAttention-3 rate
/// - decode attention: FlashMLA README (660 TFLOPS / 3,000 GB/s, 2025-04-22)
/// - elementwise and norms, router (GEMM + top-k): the memory-bound form (launches and bytes from the dimensions),
///   the router with its GEMM by the GEMM form
enum class KernelFamily : std::uint8_t {
  kDenseGemm,
  kBatchedGemm,
  kGroupedContiguous,
  kGroupedMasked,
  kPrefillAttention,
  kDecodeAttention,
  kElementwise,
  kRouter
};
inline constexpr int kNumKernelFamilies = 8;

/// "dense_gemm", "grouped_contiguous", ... (the names the profile table uses).
std::string_view family_name(KernelFamily family);
/// The family of a name; throws std::invalid_argument for an unknown one.
KernelFamily family_from_name(std::string_view name);

/// One profile kernel in the fit.
struct FitPoint {
  std::string profile;  ///< prefill | decode | training
  std::string name;
  KernelFamily family = KernelFamily::kDenseGemm;
  double measured_s = 0;
  double base_s = 0;    ///< the base table's time for the same shape on the same SMs
  double fitted_s = 0;  ///< base_s / the family's efficiency
  /// fitted / measured - 1
  double error() const { return fitted_s / measured_s - 1.0; }
};

/// A family's fit over the profiles it appears in.
struct FamilyFit {
  KernelFamily family = KernelFamily::kDenseGemm;
  double efficiency = 1;  ///< base time / in-situ time, fitted on every point (1 when the family has none)
  int points = 0;
  double rms_error = 0;               ///< in-fit: root mean square of the relative errors
  double max_error = 0;               ///< in-fit: largest |relative error|
  std::vector<std::string> profiles;  ///< the profiles with points of this family
  /// Leave one profile out, one entry per profile when the family appears in more than one: fitted on the other
  /// profiles, the RMS relative error on the one left out, and the efficiency that fit gave.
  struct LeaveOut {
    std::string profile;
    double efficiency = 1;
    double rms_error = 0;
  };
  std::vector<LeaveOut> leave_one_profile_out;
};

/// The fit against one profile as a whole: its kernels' summed time, measured and fitted.
struct ProfileTotal {
  std::string profile;
  double measured_s = 0;
  double fitted_s = 0;
  double error() const { return fitted_s / measured_s - 1.0; }
};

struct InSituFit {
  std::array<FamilyFit, kNumKernelFamilies> families{};
  std::vector<FitPoint> points;
  std::vector<ProfileTotal> profiles;  ///< in the order the profiles first appear
  double efficiency(KernelFamily family) const { return families[static_cast<int>(family)].efficiency; }
};

/// Fits every family on `hw`'s inference profiles and training-profile GEMMs. The base times are taken on the GPU
/// the tables and profiles were measured on (hw.tables_gpu), so the efficiencies are the same for every hardware
/// that shares those tables: another GPU differs only through its spec (Hardware::carry_factor).
InSituFit fit_in_situ(const hardware::Hardware& hw, const llm::ModelSpec& model);

/// The model DeepSeek's published profiles ran (DeepSeek-V3): the in-situ fit, the memory-bound form and the
/// attention rate are fitted with its dimensions, whatever model a unit then prices.
const llm::ModelSpec& profile_model();

/// The least-squares efficiency of points with measured times `measured` and base times `base`: minimises
/// sum ((base_i / e) / measured_i - 1)^2 over 1/e (linear least squares, solved with Eigen). Throws
/// std::invalid_argument for empty or mismatched input.
double fit_efficiency(const std::vector<double>& measured, const std::vector<double>& base);

}  // namespace moesim::cost
