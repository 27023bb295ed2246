// Fuzz target: a hardware spec file (hardware/specs/NAME.json), loaded with the real kernel tables. The specs it may
// borrow tables from ("kernel_tables") sit beside it, as in hardware/specs/.
#include "common/paths.h"
#include "fuzz/fuzz_support.h"
#include "hardware/hardware.h"

namespace {

const std::filesystem::path& specs_dir() {
  static const std::filesystem::path dir = [] {
    auto d = moesim::fuzz::scratch().dir() / "specs";
    std::filesystem::create_directories(d);
    for (const char* name : {"h100.json", "h200.json", "h800.json"}) {
      std::filesystem::create_symlink(moesim::data_path("hardware/specs") / name, d / name);
    }
    return d;
  }();
  return dir;
}

}  // namespace

MOESIM_FUZZ_TARGET(hardware_spec) {
  using namespace moesim;
  const auto& dir = specs_dir();
  auto file = dir / "fuzzed.json";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  fuzz::expect_input_errors([&] {
    hardware::Hardware hw = hardware::load_hardware_files(file, data_path("hardware/tables"));
    (void)hw.carry_factor(hardware::Bound::kCompute);
  });
  return 0;
}
