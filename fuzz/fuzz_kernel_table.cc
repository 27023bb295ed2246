// Fuzz target: the kernel table files (hardware/tables/h800-*.json). The first input byte picks which of the five
// tables the rest replaces; the others are the real ones, and the real h800 spec names them.
#include "common/paths.h"
#include "fuzz/fuzz_support.h"
#include "hardware/hardware.h"

namespace {

constexpr const char* kTables[] = {"deepgemm", "flashmla", "deepep", "training-profile", "inference-profiles"};
constexpr int kCount = 5;

// Folder i holds the real tables but table i, which the input replaces.
std::filesystem::path tables_dir(int i) {
  static const std::vector<std::filesystem::path> dirs = [] {
    std::vector<std::filesystem::path> out;
    for (int t = 0; t < kCount; ++t) {
      auto d = moesim::fuzz::scratch().dir() / ("tables-" + std::to_string(t));
      std::filesystem::create_directories(d);
      for (int other = 0; other < kCount; ++other) {
        if (other == t) continue;
        std::string name = std::string("h800-") + kTables[other] + ".json";
        std::filesystem::create_symlink(moesim::data_path("hardware/tables") / name, d / name);
      }
      out.push_back(d);
    }
    return out;
  }();
  return dirs[static_cast<size_t>(i)];
}

}  // namespace

MOESIM_FUZZ_TARGET(kernel_table) {
  using namespace moesim;
  if (size == 0) return 0;
  const int which = data[0] % kCount;
  auto dir = tables_dir(which);
  {
    std::ofstream out(dir / (std::string("h800-") + kTables[which] + ".json"), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  fuzz::expect_input_errors([&] {
    hardware::Hardware hw = hardware::load_hardware_files(data_path("hardware/specs/h800.json"), dir);
    (void)hw;
  });
  return 0;
}
