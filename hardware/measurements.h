// Measured microbenchmarks: the files hardware/run-benchmarks writes (hardware/measured/*.json; format in
// docs/models/microbenchmarks.md), read strictly. Comparing them with the cost model is models/calibrate's job; this
// side knows only the file and the GPU it names.
//
//   auto file = moesim::hardware::read_measurements("hardware/measured/sample-synthetic.json");
//   std::string spec = moesim::hardware::hardware_for_device(file.device_name);  // "h100"
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace moesim::hardware {

/// The kernel families a measurement file may hold, in the order reports list them.
inline constexpr std::array<std::string_view, 7> kMeasurementFamilies = {
    "gemm_fp8", "gemm_bf16", "grouped_gemm", "mla_decode", "prefill_attention", "hbm_copy", "h2d_copy"};

/// One measured point, as read (strictly) from the file.
struct Measurement {
  std::string family;    ///< one of kMeasurementFamilies
  nlohmann::json shape;  ///< the shape object, validated for the family
  double min_s = 0, median_s = 0, p90_s = 0;
  bool check_passed = false;
  std::string scaling;     ///< FP8 GEMMs: block128 | per_tensor | none; else empty
  double bytes_moved = 0;  ///< hbm_copy
  std::string where;       ///< "file: points[3]" for messages
};

struct MeasurementFile {
  std::string file;
  std::string kind;  ///< "measurement", or "sample" for synthetic files that only exercise the code
  std::string device_name;
  int sms = 0;
  std::vector<Measurement> points;
};

/// Reads a measurement file strictly: unknown keys, wrong types, bad families and bad shapes are InputErrors naming
/// the file and the JSON path.
MeasurementFile read_measurements(const std::filesystem::path& file);

/// The hardware spec name for a device name ("NVIDIA H100 80GB HBM3" -> "h100"), or "" when none matches.
std::string hardware_for_device(const std::string& device_name);

}  // namespace moesim::hardware
