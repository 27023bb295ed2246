#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/paths.h"
#include "hardware/hardware.h"
#include "models/cost/kernels.h"
#include "models/llm/model.h"

using namespace moesim;

namespace {

// A scratch copy of the real specs and tables, to break one thing at a time.
std::filesystem::path scratch() {
  // One folder per process: CTest runs each test case in its own process, in parallel.
  auto dir = std::filesystem::temp_directory_path() / ("moesim-hardware-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "specs");
  std::filesystem::copy(data_path("hardware/specs"), dir / "specs");
  std::filesystem::copy(data_path("hardware/tables"), dir / "tables");
  return dir;
}

void replace_in(const std::filesystem::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
  std::ofstream(file) << text;
}

}  // namespace

TEST_CASE("hardware: an unknown hardware name lists the known ones") {
  REQUIRE_THROWS_WITH(hardware::load_hardware("tpu9"),
                      Catch::Contains("unknown hardware \"tpu9\"") && Catch::Contains("h800"));
}

TEST_CASE("hardware: a spec missing a field names the file and the field") {
  auto dir = scratch();
  replace_in(dir / "specs/h800.json", "\"sms\"", "\"smz\"");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800.json: gpu.sms: missing required key"));
}

TEST_CASE("hardware: a negative bandwidth names the file and the field") {
  auto dir = scratch();
  replace_in(dir / "specs/h800.json", "\"value\": 50e9", "\"value\": -50e9");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800.json: node.nic_bytes_per_s.value: expected a positive number"));
}

TEST_CASE("hardware: a spec number without a source is an error") {
  auto dir = scratch();
  replace_in(dir / "specs/h800.json", "\"source\": \"DeepSeek-V3 technical report sec. 3.1\"", "\"source\": \"\"");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("source: a calibration number needs a source"));
}

TEST_CASE("hardware: a non-monotonic table series names the file and the row") {
  auto dir = scratch();
  // M = 128 of the first series made slower than M = 4096 would be... make it faster than M = 64 instead.
  replace_in(dir / "tables/h800-deepgemm.json", "\"tflops\": 352", "\"tflops\": 35200");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800-deepgemm.json: dense[6]: series not monotonic"));
}

TEST_CASE("hardware: an empty table series names the file and the field") {
  auto dir = scratch();
  auto file = dir / "tables/h800-deepep.json";
  std::ifstream in(file);
  auto doc = nlohmann::json::parse(in);
  doc["low_latency"]["rows"] = nlohmann::json::array();
  std::ofstream(file) << doc.dump();
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800-deepep.json: low_latency.rows: empty series"));
}

TEST_CASE("hardware: an inference-profile kernel of an unknown family or an unknown operator names the place") {
  auto dir = scratch();
  replace_in(dir / "tables/h800-inference-profiles.json", "\"family\": \"grouped_masked\"", "\"family\": \"gemv\"");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800-inference-profiles.json: kernels[") && Catch::Contains("family"));
  dir = scratch();
  replace_in(dir / "tables/h800-inference-profiles.json", "\"rope+copies\"", "\"rope_v2\"");
  {
    // The operators a row names are the model's: checked where the memory-bound form is fitted to them.
    auto hw = hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables");
    REQUIRE_THROWS_WITH(cost::KernelModel(hw, llm::load_model("deepseek-v3")),
                        Catch::Contains("prefill row \"rope\": \"rope_v2\" is no memory-bound operator of "
                                        "deepseek-v3's prefill layer"));
  }
  dir = scratch();
  replace_in(dir / "tables/h800-inference-profiles.json", "\"value\": 7400", "\"value\": -7400");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("step.decode_outside_graph_us.value: expected a positive number"));
}

TEST_CASE("hardware: an unknown architecture, FP4 on Hopper and a domain of part-nodes name the file and the field") {
  auto dir = scratch();
  replace_in(dir / "specs/h800.json", "\"value\": \"hopper\"", "\"value\": \"ampere\"");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800.json: architecture.value") && Catch::Contains("hopper"));
  dir = scratch();
  replace_in(dir / "specs/h800.json", "\"fp8_flops\"", "\"fp4_flops\": {\"value\": 4e15, \"source\": \"x\"}, \"fp8_flops\"");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800.json: gpu.fp4_flops: only Blackwell tensor cores run FP4"));
  dir = scratch();
  replace_in(dir / "specs/h800.json", "\"nvlink_domain_gpus\": {\"value\": 8", "\"nvlink_domain_gpus\": {\"value\": 12");
  REQUIRE_THROWS_WITH(hardware::load_hardware_files(dir / "specs/h800.json", dir / "tables"),
                      Catch::Contains("h800.json: node.nvlink_domain_gpus: 12 is not a whole number of 8-GPU nodes"));
}

TEST_CASE("hardware: the help text and the spec registry list the same kinds, NVL72 as one 72-GPU domain of 4-GPU trays") {
  auto names = hardware::hardware_names();
  for (const auto& n : {"h800", "h100", "h200", "h20", "b200", "gb200-nvl72"}) {
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
    CHECK_THAT(hardware::hardware_help(), Catch::Contains(n));
  }
  auto nvl72 = hardware::load_hardware_spec("gb200-nvl72");
  CHECK(nvl72.node.gpus == 4);
  CHECK(nvl72.node.nvlink_domain_gpus == 72);
  CHECK(nvl72.gpu.architecture == hardware::Architecture::kBlackwell);
  CHECK(nvl72.gpu.fp4_flops > nvl72.gpu.fp8_flops);
  auto h800 = hardware::load_hardware_spec("h800");
  CHECK(h800.node.nvlink_domain_gpus == 8);
  CHECK(h800.gpu.fp4_flops == 0);
}
