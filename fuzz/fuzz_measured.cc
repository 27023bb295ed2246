// Fuzz target: a measured microbenchmark file (hardware/measured/*.json, `moesim calibrate FILE`): read, then
// compared with the cost model's predictions for the GPU it names (H800 when it names none we know), as calibrate does.
#include "common/paths.h"
#include "fuzz/fuzz_support.h"
#include "hardware/measurements.h"
#include "models/calibrate/calibrate.h"

MOESIM_FUZZ_TARGET(measured) {
  using namespace moesim;
  static const hardware::Hardware h800 = hardware::load_hardware("h800");
  static const llm::ModelSpec model = llm::load_model("deepseek-v3");
  auto file = fuzz::scratch().write("measured.json", data, size);
  fuzz::expect_input_errors([&] {
    hardware::MeasurementFile m = hardware::read_measurements(file);
    (void)hardware::hardware_for_device(m.device_name);
    calibrate::Report report = calibrate::compare(m, h800, model);
    (void)calibrate::format_text(m, report);
    (void)calibrate::to_json(m, report).dump();
  });
  return 0;
}
