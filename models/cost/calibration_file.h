// A calibration file: kernel-family efficiencies fitted to a user's own profile (`moesim fit --profile`), for one
// hardware kind and model, applied with `moesim step --calibration FILE` or a scenario's `calibration`. The
// efficiencies replace the in-situ ones fitted to DeepSeek's profiles for the families the file gives.
//
//   auto cal = moesim::cost::read_calibration("my-h200.json");
//   double e = cal.efficiency[static_cast<int>(KernelFamily::kDenseGemm)];   // 0 where the file gives none
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "models/cost/in_situ.h"

namespace moesim::cost {

struct CalibrationFile {
  std::string hardware;  ///< the kind it was fitted on; applying it to another kind is refused
  std::string model;     ///< the model's registered name
  std::array<double, kNumKernelFamilies> efficiency{};  ///< 0: not in the file (the in-situ fit stands)
  std::array<int, kNumKernelFamilies> points{};
  std::array<double, kNumKernelFamilies> rms_error{};
  nlohmann::json provenance;  ///< what it was fitted from: the profile file, its settings
};

/// Reads and checks a calibration file; bad content is an InputError naming the file and the key.
CalibrationFile read_calibration(const std::filesystem::path& file);
/// The file's JSON (what read_calibration reads back).
nlohmann::ordered_json to_json(const CalibrationFile& c);
/// The efficiency scales that make a unit fitted with `in_situ` price with `c`'s efficiencies (1 where the file
/// gives none): UnitConfig::efficiency_scale. Refuses a file fitted on another kind or model, naming both.
std::array<double, kNumKernelFamilies> calibration_scales(const CalibrationFile& c, const InSituFit& in_situ,
                                                          std::string_view hardware, std::string_view model);

}  // namespace moesim::cost
