// moesim fit --profile: family efficiencies fitted to a user's own profile at its settings, written as a calibration
// file that --calibration (step) and a scenario's `calibration` apply. Checked on DeepSeek's decode profile (its
// decode-only families come back at the in-situ fit's values) and on a synthetic profile written from the model
// with known efficiencies and 5 % noise (recovered within the noise).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/command.h"

namespace {

using moesim::test::fresh_dir;
using moesim::test::run_moesim;
using moesim::test::step_json;

const std::string kDecodeSettings =
    R"({"hardware": "h800", "phase": "decode", "ep": 128, "redundant_experts": 0, "batch_per_gpu": 128, "kv_len": 4096, "mtp": true})";
const std::string kDecodeStep =
    "--hardware h800 --phase decode --ep 128 --redundant-experts 0 --batch-per-gpu 128 --kv-len 4096 --mtp on";

// DeepSeek's decode profile, us per micro-batch and layer (shared/reference/deepseek-profile.md).
const char* kDeepSeekDecode = R"(# deepseek-ai/profile-data decode.json
operator,mean_us,count
q_a+kv_a,13,116
q_b,19,116
absorb_q,15.5,116
attention,255,116
absorb_v,15.5,116
o_proj,50,116
router+topk,19,116
shared_input_cast,3,116
shared_gate_up,17,116
shared_swiglu,4,116
shared_down,10,116
experts_gate_up,81,116
swiglu,8,116
experts_down,39,116
rope+copies,8,116
)";

std::filesystem::path write(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

nlohmann::json fit(const std::filesystem::path& dir, const std::string& csv) {
  auto profile = write(dir, "profile.csv", csv);
  auto settings = write(dir, "settings.json", kDecodeSettings);
  auto r = run_moesim("fit --profile " + profile.string() + " --settings " + settings.string() + " --write " +
                      (dir / "cal.json").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::ifstream in(dir / "cal.json");
  return nlohmann::json::parse(in);
}

std::map<std::string, double> in_situ() {
  auto r = run_moesim("fit --json");
  REQUIRE(r.status == 0);
  std::map<std::string, double> e;
  const auto doc = nlohmann::json::parse(r.output);
  for (const auto& f : doc["families"]) e[f["family"]] = f["efficiency"];
  return e;
}

}  // namespace

TEST_CASE("moesim fit --profile: DeepSeek's decode profile gives back the in-situ efficiencies of decode's families") {
  auto dir = fresh_dir("moesim-fit-profile-" + std::to_string(::getpid()));
  auto cal = fit(dir, kDeepSeekDecode);
  auto e = in_situ();
  CHECK(cal["kind"] == "moesim-calibration");
  CHECK(cal["hardware"] == "h800");
  CHECK(cal["model"] == "deepseek-v3");
  // Families measured in the decode profile alone are fitted to the same rows by both.
  for (const char* f : {"batched_gemm", "grouped_masked", "decode_attention"}) {
    INFO(f);
    CHECK(cal["families"][f]["efficiency"].get<double>() == Approx(e[f]).epsilon(1e-6));
  }
  CHECK(cal["families"]["dense_gemm"]["points"] == 5);
  CHECK(!cal["families"].contains("grouped_contiguous"));  // no prefill rows
  // Applying it: the decode step moves only by the families the file changes against the three-profile fit.
  auto with = step_json(kDecodeStep + " --calibration " + (dir / "cal.json").string());
  auto without = step_json(kDecodeStep);
  CHECK(std::fabs(with["step_time_s"].get<double>() / without["step_time_s"].get<double>() - 1) < 0.05);
}

TEST_CASE("moesim fit --profile: a synthetic profile with known efficiencies and 5 % noise is recovered within it") {
  // Base times per operator: the step's breakdown (per step: micro-batches x MoE layers x per-call time) at the
  // in-situ efficiencies, times those efficiencies. Kernels at the 3 us floor are left out (their time says nothing
  // of an efficiency).
  auto e = in_situ();
  auto step = step_json(kDecodeStep);
  const std::map<std::string, std::string> family = {
      {"q_a+kv_a", "dense_gemm"},         {"q_b", "dense_gemm"},           {"o_proj", "dense_gemm"},
      {"shared_gate_up", "dense_gemm"},   {"shared_down", "dense_gemm"},   {"absorb_q", "batched_gemm"},
      {"absorb_v", "batched_gemm"},       {"attention", "decode_attention"}, {"experts_gate_up", "grouped_masked"},
      {"experts_down", "grouped_masked"}, {"swiglu", "elementwise"},       {"router+topk", "router"}};
  const std::map<std::string, double> truth = {{"dense_gemm", 0.70},     {"batched_gemm", 0.60},
                                               {"decode_attention", 0.95}, {"grouped_masked", 0.65},
                                               {"elementwise", 0.80},    {"router", 1.30}};
  std::string csv = "operator,mean_us,count\n";
  int i = 0;
  for (const auto& b : step["breakdown"]) {
    auto it = family.find(b["operator"].get<std::string>());
    if (it == family.end()) continue;
    const double per_call = b["seconds"].get<double>() / (2 * 58);
    if (per_call <= 3.0e-6 * 1.0001) continue;
    const double base = per_call * e[it->second];
    const double noise = (i++ % 2 == 0 ? 1.05 : 0.95);
    csv += it->first + "," + std::to_string(base / truth.at(it->second) * noise * 1e6) + ",100\n";
  }
  auto dir = fresh_dir("moesim-fit-synthetic-" + std::to_string(::getpid()));
  auto cal = fit(dir, csv);
  for (const auto& [f, want] : truth) {
    INFO(f);
    REQUIRE(cal["families"].contains(f));
    // A time off by a factor 1 +/- 0.05 moves the efficiency by at most 1 / 0.95 - 1 (a single-point family).
    CHECK(std::fabs(cal["families"][f]["efficiency"].get<double>() / want - 1) <= 1.0 / 0.95 - 1 + 1e-6);  // (times written to 1e-6 us)
  }
}

TEST_CASE("moesim fit --profile: bad profiles and misapplied calibrations are clear errors naming the place") {
  auto dir = fresh_dir("moesim-fit-bad-" + std::to_string(::getpid()));
  auto settings = write(dir, "settings.json", kDecodeSettings);
  auto bad_op = write(dir, "a.csv", "operator,mean_us,count\nq_b,19,116\nflash_decode,255,116\n");
  auto r = run_moesim("fit --profile " + bad_op.string() + " --settings " + settings.string());
  CHECK(r.status == 2);
  CHECK(r.output.find("a.csv:3: \"flash_decode\" is no kernel operator of a deepseek-v3 decode layer (known: ") !=
        std::string::npos);
  auto bad_number = write(dir, "b.csv", "operator,mean_us,count\nq_b,-19,116\n");
  r = run_moesim("fit --profile " + bad_number.string() + " --settings " + settings.string());
  CHECK(r.status == 2);
  CHECK(r.output.find("b.csv:2: mean_us: expected a positive number, got \"-19\"") != std::string::npos);
  auto no_header = write(dir, "c.csv", "q_b,19,116\n");
  r = run_moesim("fit --profile " + no_header.string() + " --settings " + settings.string());
  CHECK(r.status == 2);
  CHECK(r.output.find("c.csv:1: expected the header \"operator,mean_us,count\"") != std::string::npos);
  // A calibration is for the kind it was fitted on.
  fit(dir, kDeepSeekDecode);
  r = run_moesim("step --hardware b200 --phase decode --ep 144 --batch-per-gpu 8 --kv-len 100 --calibration " +
                 (dir / "cal.json").string());
  CHECK(r.status == 2);
  CHECK(r.output.find("calibration fitted on h800 with deepseek-v3 cannot price b200 with deepseek-v3") !=
        std::string::npos);
}

TEST_CASE("moesim run: a scenario's calibration file replaces the fitted efficiencies") {
  auto dir = fresh_dir("moesim-fit-run-" + std::to_string(::getpid()));
  nlohmann::json cal = {{"kind", "moesim-calibration"},
                        {"hardware", "h800"},
                        {"model", "deepseek-v3"},
                        {"provenance", {{"note", "test: every GEMM at half the fitted efficiency"}}},
                        {"families",
                         {{"dense_gemm", {{"efficiency", 0.4}, {"points", 1}, {"rms_error", 0}}},
                          {"grouped_masked", {{"efficiency", 0.4}, {"points", 1}, {"rms_error", 0}}}}}};
  std::ofstream(dir / "cal.json") << cal.dump();
  auto base = run_moesim("run " + moesim::test::tiny_scenario_args() + " --out " + (dir / "a").string());
  REQUIRE(base.status == 0);
  auto slow = run_moesim("run " + moesim::test::tiny_scenario_args() + " --set calibration=\\\"" +
                         (dir / "cal.json").string() + "\\\" --out " + (dir / "b").string());
  INFO(slow.output);
  REQUIRE(slow.status == 0);
  std::ifstream a(dir / "a" / "summary.json"), b(dir / "b" / "summary.json");
  auto sa = nlohmann::json::parse(a), sb = nlohmann::json::parse(b);
  CHECK(sb["decode_step_mean_s"].get<double>() > sa["decode_step_mean_s"].get<double>());
}
