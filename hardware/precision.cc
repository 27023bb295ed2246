#include "hardware/precision.h"

#include <array>

namespace moesim::hardware {

namespace {
constexpr std::array<std::string_view, 4> kNames = {"bf16", "fp8", "nvfp4", "mxfp4"};
}  // namespace

std::string_view precision_name(Precision p) { return kNames[static_cast<size_t>(p)]; }

std::optional<Precision> parse_precision(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Precision>(i);
  }
  return std::nullopt;
}

std::string_view precision_names() { return "bf16 | fp8 | nvfp4 | mxfp4"; }

double element_bytes(Precision p) {
  switch (p) {
    case Precision::kBf16:
      return 2.0;
    case Precision::kFp8:
      return 1.0;
    case Precision::kNvfp4:
      return 0.5 + 1.0 / 16.0;
    case Precision::kMxfp4:
      return 0.5 + 1.0 / 32.0;
  }
  return 2.0;
}

}  // namespace moesim::hardware
