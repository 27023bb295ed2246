// Precision: the number formats a model stores and computes in, and what one element costs in bytes. A model file
// names each component's native precision, a scenario may override them (precision.moe, .attention, .kv), and a
// hardware kind says which it can compute in (docs/architecture.md, "Any model, any GPU").
//
//   auto p = moesim::hardware::parse_precision("nvfp4");          // std::optional<Precision>
//   double bytes = moesim::hardware::element_bytes(*p) * params;    // 0.5625 B a weight: 4 bits + an FP8 scale per 16
#pragma once

#include <optional>
#include <string_view>

namespace moesim::hardware {

enum class Precision : unsigned char {
  kBf16,   ///< bfloat16
  kFp8,    ///< FP8 e4m3, block-scaled (DeepSeek-V3: 128 x 128 weight blocks, 1 x 128 activation blocks)
  kNvfp4,  ///< NVIDIA FP4 (e2m1) with an FP8 e4m3 scale per 16 elements (and a per-tensor FP32 scale)
  kMxfp4,  ///< OCP microscaling FP4 (e2m1) with an 8-bit power-of-two scale per 32 elements
};

/// "bf16", "fp8", "nvfp4", "mxfp4".
std::string_view precision_name(Precision p);
/// The precision of a name above; nullopt for any other text.
std::optional<Precision> parse_precision(std::string_view name);
/// "bf16 | fp8 | nvfp4 | mxfp4": for error messages and help texts.
std::string_view precision_names();

/// Bytes of one stored weight element. FP8's 128 x 128 block scales (4 B per 16,384 weights, 0.02 %) are left out,
/// as DeepSeek's own weight accounting does; the FP4 formats carry their scales (NVIDIA NVFP4 blog, 2025-06-24:
/// one FP8 scale per 16 values; OCP Microscaling Formats v1.0 sec. 5: one E8M0 scale per 32 values).
double element_bytes(Precision p);

/// Whether values of this format are 4-bit (they need FP4 tensor cores, or a dequantization before the GEMM).
inline bool is_fp4(Precision p) { return p == Precision::kNvfp4 || p == Precision::kMxfp4; }

}  // namespace moesim::hardware
