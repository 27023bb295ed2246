// `moesim eplb` end to end: the worked example of shared/reference/eplb.md, and clear errors (exit 2) for bad input.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/command.h"

namespace {

using Result = moesim::test::CommandResult;
Result run(const std::string& args) { return moesim::test::run_moesim("eplb " + args); }

std::string write_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("moesim_eplb_test_" + name);
  std::ofstream(path) << text;
  return path.string();
}

const std::string kExample =
    "[[90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86], [20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27]]";
const std::string kSizes = " --replicas 16 --groups 4 --nodes 2 --gpus 8";

}  // namespace

TEST_CASE("moesim eplb: --json reproduces the worked example (phy2log, logcnt, per-GPU loads, balancedness)") {
  std::string file = write_file("example.json", kExample);
  Result r = run("--weights " + file + kSizes + " --json");
  REQUIRE(r.status == 0);
  auto out = nlohmann::json::parse(r.output);
  CHECK(out["phy2log"] == nlohmann::json::parse("[[5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1],"
                                                "[7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1]]"));
  CHECK(out["logcnt"] ==
        nlohmann::json::parse("[[1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 2, 1], [1, 2, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1]]"));
  CHECK(out["gpu_loads"] == nlohmann::json::parse("[[121.5, 86.5, 125, 113, 147.5, 131.5, 156, 152],"
                                                  "[173, 179.5, 120.5, 172, 123, 152, 118.5, 117.5]]"));
  CHECK(out["balancedness"][0].get<double>() == Approx(1033.0 / 8 / 156));
  CHECK(out.size() == 4);
  Result text = run("--weights " + file + kSizes + " --policy hierarchical");
  CHECK(text.status == 0);
  CHECK(text.output.find("phy2log   5 6 5 7 8 4 3 4 10 9 10 2 0 1 11 1") != std::string::npos);
}

TEST_CASE("moesim eplb: bad input is a clear error with exit status 2") {
  std::string example = write_file("good.json", kExample);
  struct Case {
    std::string args, message;
  };
  std::vector<Case> cases = {
      {"--weights " + write_file("ragged.json", "[[1, 2, 3, 4], [1, 2, 3]]") + kSizes,
       "[1]: expected 4 loads like row [0], got 3 (rows must be of equal length)"},
      {"--weights " + write_file("negative.json", "[[1, 2, -4, 4]]") + kSizes,
       "[0][2]: expected a non-negative number, got -4"},
      {"--weights " + write_file("text.json", "[[1, \"a\"]]") + kSizes, "[0][1]: expected a non-negative number"},
      {"--weights " + write_file("flat.json", "[1, 2]") + kSizes, "[0]: expected a non-empty list of loads"},
      {"--weights " + write_file("broken.json", "[[1, 2") + kSizes, "broken.json"},
      {"--weights /nonexistent/w.json" + kSizes, "/nonexistent/w.json"},
      {"--weights " + example + " --replicas 12 --groups 4 --nodes 2 --gpus 8",
       "replicas (12) must be a multiple of the GPUs (8)"},
      {"--weights " + example + " --replicas 8 --groups 4 --nodes 2 --gpus 8", "fewer replicas (8) than experts (12)"},
      {"--weights " + example + " --replicas 16 --groups 3 --nodes 2 --gpus 8 --policy hierarchical",
       "groups (3) to divide evenly among the nodes (2)"},
      {"--weights " + example + " --replicas 16 --groups 4 --nodes 2 --gpus 8 --policy greedy", "--policy"},
      {"--weights " + example + " --replicas 16 --groups 4 --nodes 0 --gpus 8",
       "--nodes: expected a number in [1, 65536], got 0"},
      {kSizes, "--weights FILE.json is required"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    Result r = run(c.args);
    CHECK(r.status == 2);
    CHECK_THAT(r.output, Catch::Contains(c.message));
  }
}
