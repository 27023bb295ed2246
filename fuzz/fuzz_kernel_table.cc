// Fuzz target: the kernel table files (hardware/tables/h800-*.json). The first input byte picks which of the five
// tables the rest is; it is read as load_hardware_files reads it (hardware::load_table_file), the inference
// profiles against the real training profile. A fuzzed training profile is also the one the real inference
// profiles are checked against, as when load_hardware_files reads both. The real tables are read once, not per
// input: reading all five per input made this target 325 inputs/s under the sanitizers.
#include "common/paths.h"
#include "fuzz/fuzz_support.h"
#include "hardware/hardware.h"

namespace {

constexpr int kCount = std::size(moesim::hardware::kTableKinds);

std::filesystem::path real_table(std::string_view kind) {
  return moesim::data_path("hardware/tables") / ("h800-" + std::string(kind) + ".json");
}

}  // namespace

MOESIM_FUZZ_TARGET(kernel_table) {
  using namespace moesim;
  static const hardware::Hardware real = hardware::load_hardware("h800");
  if (size == 0) return 0;
  const std::string_view kind = hardware::kTableKinds[data[0] % kCount];
  auto file = fuzz::scratch().write("h800-" + std::string(kind) + ".json", data + 1, size - 1);
  fuzz::expect_input_errors([&] {
    hardware::Hardware hw;
    hw.profile = real.profile;  // what the inference profiles are checked against
    hardware::load_table_file(hw, kind, file);
    if (kind == "training-profile")
      hardware::load_table_file(hw, "inference-profiles", real_table("inference-profiles"));
  });
  return 0;
}
