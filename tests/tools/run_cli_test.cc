// End-to-end tests of `moesim run`: determinism of summary.json, the resolved scenario, conservation, bad input.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/command.h"

namespace {

int run(const std::string& args, std::string* out = nullptr) {
  auto r = moesim::test::run_moesim(args);
  if (out != nullptr) *out = r.output;
  return r.status;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("moesim run: the same scenario and seed give a byte-identical summary.json") {
  auto dir = std::filesystem::temp_directory_path() / ("moesim-run-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string base = std::string(MOESIM_SOURCE_DIR) +
                     "/scenarios/steady-small.json --set horizon_s=120 --set experts.skew=\\\"uniform\\\" --set "
                     "experts.eplb=\\\"none\\\"";
  REQUIRE(run("run " + base + " --out " + (dir / "a").string()) == 0);
  REQUIRE(run("run " + base + " --out " + (dir / "b").string()) == 0);
  auto a = slurp(dir / "a/summary.json");
  REQUIRE(!a.empty());
  REQUIRE(a == slurp(dir / "b/summary.json"));
  auto s = nlohmann::json::parse(a);
  REQUIRE(s["requests_conserved"] == true);
  REQUIRE(s["requests_in"].get<int64_t>() > 1000);
  // The resolved scenario states every default and parses back.
  auto resolved = nlohmann::json::parse(slurp(dir / "a/resolved-scenario.json"));
  REQUIRE(resolved["horizon_s"] == 120);
  REQUIRE(resolved["fleet"]["decode"]["nodes_per_unit"] == 18);
  REQUIRE(run("run " + (dir / "a/resolved-scenario.json").string() + " --out " + (dir / "c").string()) == 0);
  REQUIRE(slurp(dir / "c/summary.json") == a);
  // A different seed changes the draws.
  REQUIRE(run("run " + base + " --seed 2 --out " + (dir / "d").string()) == 0);
  REQUIRE(slurp(dir / "d/summary.json") != a);
}

TEST_CASE("moesim run: a bad scenario is one clear error with exit status 2") {
  auto dir = std::filesystem::temp_directory_path() / ("moesim-run-test-bad-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({"fleet": {"decode": {"units": -4}}})";
  std::string out;
  REQUIRE(run("run " + (dir / "bad.json").string() + " --out " + (dir / "o").string(), &out) == 2);
  REQUIRE(out.find("bad.json: fleet.decode.units: expected an integer in [0, 10000], got -4") != std::string::npos);
}

TEST_CASE("moesim run: off a terminal, progress is a start line and an end line, and --exact runs the same scenario") {
  auto dir = std::filesystem::temp_directory_path() / ("moesim-run-test-progress-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string base = std::string(MOESIM_SOURCE_DIR) + "/scenarios/steady-small.json --set horizon_s=60";
  std::string out;
  REQUIRE(run("run " + base + " --out " + (dir / "fast").string(), &out) == 0);
  CHECK(out.find("moesim run steady-small: started\n") != std::string::npos);
  CHECK(out.find("moesim run steady-small: done in ") != std::string::npos);
  CHECK(out.find("simulated requests/s") != std::string::npos);
  CHECK(out.find('\r') == std::string::npos);  // no rewritten terminal line in a log
  REQUIRE(run("run " + base + " --exact --out " + (dir / "exact").string()) == 0);
  auto fast = nlohmann::json::parse(slurp(dir / "fast/summary.json"));
  auto exact = nlohmann::json::parse(slurp(dir / "exact/summary.json"));
  // The approximations change no count, and the step times by far less than 1 % (docs/performance.md).
  CHECK(fast["requests_in"] == exact["requests_in"]);
  CHECK(fast["requests_completed"] == exact["requests_completed"]);
  CHECK(fast["decode_step_mean_s"].get<double>() == Approx(exact["decode_step_mean_s"].get<double>()).epsilon(0.01));
}
