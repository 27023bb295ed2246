// Cross-check of the cost model against measured microbenchmarks (hardware/measured/*.json, written by
// hardware/run-benchmarks; format in docs/models/microbenchmarks.md): every point's measured median time beside the
// model's prediction for that GPU, and per kernel family the median and worst error against an error budget.
//
//   auto file = moesim::calibrate::read_measurements("hardware/measured/sample-synthetic.json");
//   auto report = moesim::calibrate::compare(file, moesim::hardware::load_hardware("h100"), model);
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hardware/hardware.h"
#include "models/llm/model.h"

namespace moesim::calibrate {

/// A family's median error above this fails the check: 25 % for the first version (issue 9; the goal is 10 %).
inline constexpr double kErrorBudget = 0.25;

/// One measured point, as read (strictly) from the file.
struct Measurement {
  std::string family;    ///< gemm_fp8 | gemm_bf16 | grouped_gemm | mla_decode | prefill_attention | hbm_copy | h2d_copy
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

struct PointResult {
  const Measurement* measurement = nullptr;
  std::optional<double> predicted_s;  ///< none: the family has no predictor, or the point failed its check
  double ratio = 0;                   ///< predicted / measured median
  std::string note;
};

struct FamilyResult {
  std::string family;
  std::string predictor;  ///< which model call predicts it; "none" when none does
  int points = 0;
  int compared = 0;
  int failed_checks = 0;
  double median_error = 0;  ///< |predicted / measured - 1|, over compared points
  double worst_error = 0;
  bool within_budget = true;
};

struct Report {
  std::string hardware;
  std::vector<PointResult> points;
  std::vector<FamilyResult> families;  ///< in the fixed family order
  int failed_checks = 0;
  /// Every predicted family within the budget and every point passed its check.
  bool passed() const;
};

/// Predictions of `hw` (and `model`, for attention) for every point of `file`.
Report compare(const MeasurementFile& file, const hardware::Hardware& hw, const llm::ModelSpec& model);

/// Human-readable report and its JSON form.
std::string format_text(const MeasurementFile& file, const Report& report);
nlohmann::json to_json(const MeasurementFile& file, const Report& report);

}  // namespace moesim::calibrate
