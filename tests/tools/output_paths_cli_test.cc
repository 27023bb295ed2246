// Every command that writes checks where it writes before any work: a file where an output folder should be, a folder
// where a file should be, or a missing folder is one clear error naming the option (exit status 2), and nothing runs.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/command.h"

namespace {

using moesim::test::fresh_dir;
using moesim::test::run_moesim;
using moesim::test::tiny_scenario_args;

struct Attempt {
  std::string command;   // moesim's arguments
  std::string expected;  // what the error says
};

void check_refused(const Attempt& a) {
  auto r = run_moesim(a.command);
  INFO(a.command << "\n" << r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find(a.expected) != std::string::npos);
  CHECK(r.output.find("internal error") == std::string::npos);
  CHECK(r.output.find("started") == std::string::npos);  // refused before the run began
}

}  // namespace

TEST_CASE("moesim run sweep plan and compare: an existing file given as the output folder is a clear error") {
  const auto dir = fresh_dir("moesim-output-paths");
  const std::string file = (dir / "a-file").string();
  std::ofstream(file) << "not a folder\n";
  std::ofstream(dir / "grid.json") << "{}\n";
  std::ofstream(dir / "space.json") << R"({"grid": {"fleet.decode.units": [1, 2]},
    "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  const std::string scenario = tiny_scenario_args();
  const std::vector<Attempt> attempts = {
      {"run " + scenario + " --out " + file, "--out " + file + ": is a file, not a folder"},
      {"run " + scenario + " --out " + file + "/sub", "--out " + file + "/sub: cannot create the folder: " + file +
                                                          " is a file"},
      {"sweep " + scenario + " --grid " + (dir / "grid.json").string() + " --out " + file,
       "--out " + file + ": is a file, not a folder"},
      {"plan " + scenario + " --space " + (dir / "space.json").string() + " --out " + file,
       "--out " + file + ": is a file, not a folder"},
      {"compare " + scenario + " --variant a:horizon_s=10 --out " + file, "--out " + file + ": is a file"},
  };
  for (const auto& a : attempts) check_refused(a);
  CHECK(std::filesystem::is_regular_file(file));  // left as it was
}

TEST_CASE("moesim run: a request log given as a folder or in a missing folder is a clear error before the run") {
  const auto dir = fresh_dir("moesim-output-paths-log");
  const std::string scenario = tiny_scenario_args();
  const std::string out = (dir / "out").string();
  check_refused({"run " + scenario + " --out " + out + " --request-log " + dir.string(),
                 "--request-log " + dir.string() + ": is a folder, not a file"});
  check_refused({"run " + scenario + " --out " + out + " --request-log " + (dir / "missing" / "log.csv").string(),
                 "the folder " + (dir / "missing").string() + " does not exist"});
}

TEST_CASE("moesim fit: --write without a profile to fit is refused, and a folder as the file is a clear error") {
  const auto dir = fresh_dir("moesim-output-paths-fit");
  check_refused({"fit --write " + (dir / "cal.json").string(), "--write: a calibration file comes from a fit"});
  CHECK_FALSE(std::filesystem::exists(dir / "cal.json"));
  const std::string settings = (dir / "settings.json").string();
  std::ofstream(settings) << "{}\n";
  const std::string profile = (dir / "profile.csv").string();
  std::ofstream(profile) << "operator,mean_us,count\n";
  check_refused({"fit --profile " + profile + " --settings " + settings + " --write " + dir.string(),
                 "--write " + dir.string() + ": is a folder, not a file"});
}

TEST_CASE("moesim trace gen and convert: a folder as the file to write is a clear error") {
  const auto dir = fresh_dir("moesim-output-paths-trace");
  auto gen = run_moesim("trace gen --profile deepseek-day --scale 0.00001 --out " + dir.string());
  INFO(gen.output);
  CHECK(gen.status == 2);
  CHECK(gen.output.find(dir.string() + ": cannot create") != std::string::npos);
  auto convert = run_moesim("trace convert " + std::string(MOESIM_SOURCE_DIR) +
                            "/traces/samples/AzureLLMInferenceTrace_conv.csv " + dir.string());
  INFO(convert.output);
  CHECK(convert.status == 2);
  CHECK(convert.output.find("internal error") == std::string::npos);
}
