// Tests of `moesim calibrate` without a GPU: reading measurement files strictly, the predictions beside each point,
// the per-family median and worst errors against the 25 % budget, families without a predictor, failed reference
// checks, and the command line's exit statuses (0 pass, 1 over budget or failed check, 2 bad file). The committed
// hardware/measured/sample-synthetic.json is synthetic (it exercises the code path; it is not a measurement).
#include "models/calibrate/calibrate.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "common/paths.h"
#include "models/cost/gemm.h"
#include "tests/support/command.h"

namespace {

using moesim::calibrate::compare;
using moesim::hardware::read_measurements;

const std::string kSample = std::string(MOESIM_SOURCE_DIR) + "/hardware/measured/sample-synthetic.json";

using moesim::test::run_moesim;
auto run(const std::string& args) { return run_moesim(args); }

std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("moesim-calibrate-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

// A file of hbm_copy points whose measured times are the spec prediction (bytes moved / 3.35 TB/s on H100) divided
// by the given factors, so each point's error is |factor - 1|.
std::string hbm_file(const std::string& name, std::initializer_list<double> factors, const char* check = "pass") {
  nlohmann::json j{{"kind", "measurement"}, {"device", {{"name", "NVIDIA H100 80GB HBM3"}, {"sms", 132}}}};
  j["points"] = nlohmann::json::array();
  for (double f : factors) {
    double t = 2e9 / 3.35e12 / f;
    j["points"].push_back({{"family", "hbm_copy"},
                           {"shape", {{"bytes", 1e9}}},
                           {"bytes_moved", 2e9},
                           {"min_s", t},
                           {"median_s", t},
                           {"p90_s", t},
                           {"check", check}});
  }
  return write_temp(name, j.dump());
}

moesim::calibrate::Report report_for(const std::string& file) {
  auto f = read_measurements(file);
  auto hw = moesim::hardware::load_hardware("h100");
  auto model = moesim::llm::load_model("deepseek-v3");
  return compare(f, hw, model);
}

}  // namespace

TEST_CASE("calibrate: the sample file is read as a synthetic sample covering every family") {
  auto f = read_measurements(kSample);
  CHECK(f.kind == "sample");
  CHECK(moesim::hardware::hardware_for_device(f.device_name) == "h100");
  auto report = report_for(kSample);
  CHECK(report.families.size() == 7);
  CHECK(report.failed_checks == 0);
}

TEST_CASE("calibrate: an FP8 GEMM point is predicted by GemmModel::dense_s and its ratio is model over measured") {
  auto f = read_measurements(kSample);
  auto hw = moesim::hardware::load_hardware("h100");
  auto model = moesim::llm::load_model("deepseek-v3");
  auto report = compare(f, hw, model);
  moesim::cost::GemmModel gemm(hw);
  int seen = 0;
  for (const auto& r : report.points) {
    const auto& m = *r.measurement;
    if (m.family != "gemm_fp8") continue;
    double want = gemm.dense_s(m.shape["m"].get<double>(), m.shape["n"].get<double>(), m.shape["k"].get<double>(), 132);
    REQUIRE(r.predicted_s);
    CHECK(*r.predicted_s == Approx(want).epsilon(1e-12));
    CHECK(r.ratio == Approx(want / m.median_s).epsilon(1e-12));
    ++seen;
  }
  CHECK(seen >= 2);
}

TEST_CASE("calibrate: a family's median and worst error, and the 25 % budget on the median") {
  auto ok = report_for(hbm_file("hbm_ok.json", {1.1, 0.7, 0.95}));
  REQUIRE(ok.families.size() == 1);
  CHECK(ok.families[0].median_error == Approx(0.1));
  CHECK(ok.families[0].worst_error == Approx(0.3));
  CHECK(ok.passed());
  auto over = report_for(hbm_file("hbm_over.json", {1.3, 1.4, 1.1}));
  CHECK(over.families[0].median_error == Approx(0.3));
  CHECK(!over.families[0].within_budget);
  CHECK(!over.passed());
}

TEST_CASE("calibrate: host-device copies have no predictor and are reported so, not compared") {
  auto report = report_for(kSample);
  bool found = false;
  for (const auto& f : report.families) {
    if (f.family != "h2d_copy") continue;
    found = true;
    CHECK(f.predictor == "none");
    CHECK(f.compared == 0);
    CHECK(f.within_budget);
  }
  CHECK(found);
}

TEST_CASE("calibrate: a point that failed its reference check is not compared and fails the report") {
  auto report = report_for(hbm_file("hbm_fail.json", {1.0}, "fail"));
  CHECK(report.failed_checks == 1);
  CHECK(!report.points[0].predicted_s);
  CHECK(!report.passed());
}

TEST_CASE("calibrate: bad files are errors naming the file and the JSON path") {
  auto expect_error = [](const std::string& text, const std::string& part) {
    auto path = write_temp("bad.json", text);
    try {
      read_measurements(path);
      FAIL("no error for " << text);
    } catch (const moesim::InputError& e) {
      std::string what = e.what();
      INFO(what);
      CHECK(what.find("bad.json") != std::string::npos);
      CHECK(what.find(part) != std::string::npos);
    }
  };
  const std::string head = R"({"kind": "measurement", "device": {"name": "H100", "sms": 132}, "points": [)";
  const std::string gemm = R"({"family": "gemm_fp8", "scaling": "block128", "check": "pass", )";
  expect_error(head + gemm + R"("shape": {"m": 64, "n": 2112, "kk": 7168}, "min_s": 1, "median_s": 1, "p90_s": 1}]})",
               "points[0].shape");
  expect_error(head + gemm + R"("shape": {"m": 64, "n": 2112, "k": 7168}, "min_s": 2, "median_s": 1, "p90_s": 3}]})",
               "points[0].median_s");
  expect_error(head + gemm + R"("shape": {"m": -1, "n": 2112, "k": 7168}, "min_s": 1, "median_s": 1, "p90_s": 1}]})",
               "points[0].shape.m");
  expect_error(head + R"({"family": "gemm_fp4"}]})", "points[0].family");
  expect_error(R"({"kind": "guess", "device": {"name": "H100", "sms": 132}, "points": []})", "kind");
  expect_error(R"({"kind": "measurement", "device": {"name": "H100", "sms": 132}, "points": [], "extra": 1})", "extra");
  expect_error("{\"kind\": ", "bad.json");
}

TEST_CASE("moesim calibrate: exit 0 on the sample, 1 over budget, 2 on a bad file or an unknown device") {
  auto ok = run("calibrate " + kSample);
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(ok.output.find("synthetic sample file, not a measurement") != std::string::npos);
  auto j = run("calibrate --json " + kSample);
  CHECK(j.status == 0);
  CHECK(nlohmann::json::parse(j.output)["passed"] == true);
  CHECK(run("calibrate " + hbm_file("cli_over.json", {2.0})).status == 1);
  CHECK(run("calibrate " + write_temp("cli_bad.json", "[1, 2]")).status == 2);
  CHECK(run("calibrate /nonexistent/file.json").status == 2);
  auto unknown = write_temp("cli_unknown.json", R"({"kind": "measurement", "device": {"name": "RTX 4090", "sms": 128},
                                                  "points": []})");
  auto u = run("calibrate " + unknown);
  CHECK(u.status == 2);
  CHECK(u.output.find("--hardware") != std::string::npos);
  CHECK(run("calibrate --hardware h200 " + unknown).status == 0);
}
