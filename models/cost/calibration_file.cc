#include "models/cost/calibration_file.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"

namespace moesim::cost {

CalibrationFile read_calibration(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  CalibrationFile c;
  if (r.string("kind") != "moesim-calibration") r.fail("kind", "expected \"moesim-calibration\"");
  c.hardware = r.string("hardware");
  c.model = r.string("model");
  c.provenance = r.raw("provenance");
  auto families = r.object("families");
  for (int f = 0; f < kNumKernelFamilies; ++f) {
    const auto name = family_name(static_cast<KernelFamily>(f));
    if (!families.has(name)) continue;
    auto e = families.object(name);
    c.efficiency[f] = e.number("efficiency", {1e-3, 100.0, false, "an efficiency in [0.001, 100]"});
    c.points[f] = static_cast<int>(e.integer("points", IntRange::positive()));
    c.rms_error[f] = e.number("rms_error", {0.0, 100.0, false, "a relative error in [0, 100]"});
    e.finish();
  }
  families.finish();
  r.finish();
  return c;
}

nlohmann::ordered_json to_json(const CalibrationFile& c) {
  nlohmann::ordered_json families = nlohmann::ordered_json::object();
  for (int f = 0; f < kNumKernelFamilies; ++f) {
    if (c.efficiency[f] <= 0) continue;
    families[std::string(family_name(static_cast<KernelFamily>(f)))] = {
        {"efficiency", c.efficiency[f]}, {"points", c.points[f]}, {"rms_error", c.rms_error[f]}};
  }
  return {{"kind", "moesim-calibration"},
          {"hardware", c.hardware},
          {"model", c.model},
          {"provenance", c.provenance},
          {"families", families}};
}

std::array<double, kNumKernelFamilies> calibration_scales(const CalibrationFile& c, const InSituFit& in_situ,
                                                          std::string_view hardware, std::string_view model) {
  if (c.hardware != hardware || c.model != model) {
    throw InputError(fmt::format("calibration fitted on {} with {} cannot price {} with {}", c.hardware, c.model,
                                 hardware, model));
  }
  std::array<double, kNumKernelFamilies> scales{};
  for (int f = 0; f < kNumKernelFamilies; ++f) {
    const double fitted = in_situ.efficiency(static_cast<KernelFamily>(f));
    scales[f] = c.efficiency[f] > 0 && fitted > 0 ? c.efficiency[f] / fitted : 1.0;
  }
  return scales;
}

}  // namespace moesim::cost
