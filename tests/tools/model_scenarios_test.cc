// The scenarios of the other models (scenarios/kimi-k2-h200*.json, qwen3-235b-a22b-h100*.json, gpt-oss-120b-b200.json)
// run end to end, cut to a minute: requests conserved, none rejected, the model and the precisions they ran written
// out.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/command.h"

using moesim::test::fresh_dir;
using moesim::test::run_moesim;

TEST_CASE("scenarios: Kimi-K2 on H200, Qwen3-235B-A22B on H100 and gpt-oss-120b on B200 run end to end") {
  const std::pair<const char*, const char*> runs[] = {{"kimi-k2-h200", "kimi-k2"},
                                                      {"kimi-k2-h200-azure", "kimi-k2"},
                                                      {"qwen3-235b-a22b-h100", "qwen3-235b-a22b"},
                                                      {"qwen3-235b-a22b-h100-azure", "qwen3-235b-a22b"},
                                                      {"gpt-oss-120b-b200", "gpt-oss-120b"}};
  auto dir = fresh_dir("moesim-model-scenarios-" + std::to_string(::getpid()));
  for (const auto& [name, model] : runs) {
    INFO(name);
    auto out = dir / name;
    auto r = run_moesim("run " + std::string(MOESIM_SOURCE_DIR) + "/scenarios/" + name +
                        ".json --set horizon_s=60 --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("conserved") != std::string::npos);
    std::ifstream s(out / "summary.json"), rs(out / "resolved-scenario.json");
    auto summary = nlohmann::json::parse(s);
    auto resolved = nlohmann::json::parse(rs);
    CHECK(summary["requests_completed"].get<double>() > 0);
    CHECK(resolved["model"] == model);
    CHECK(resolved["precision"]["moe"].is_string());
  }
}

TEST_CASE("sweep: the model and the hardware kind are grid keys like any other") {
  auto dir = fresh_dir("moesim-model-sweep-" + std::to_string(::getpid()));
  std::ofstream(dir / "grid.json")
      << R"({"zip": [{"model": ["deepseek-v3", "kimi-k2"], "fleet.decode.redundant_experts": [32, 48]}],
             "hardware": ["h200", "gb200-nvl72"]})";
  auto r = run_moesim("sweep " + moesim::test::tiny_scenario_args() + " --grid " + (dir / "grid.json").string() +
                      " --threads 1 --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("4 candidates x 1 seeds = 4 runs") != std::string::npos);
  CHECK(r.output.find("0 failed") != std::string::npos);
}

TEST_CASE("plan: the model is a key of the search space, each candidate is screened and simulated with its own") {
  auto dir = fresh_dir("moesim-model-plan-" + std::to_string(::getpid()));
  std::ofstream(dir / "space.json")
      << R"({"grid": {"zip": [{"model": ["deepseek-v3", "kimi-k2"], "fleet.decode.redundant_experts": [32, 48]}],
                      "hardware": ["h200"]},
             "constraints": {"requests_rejected": {"max": 0}}, "minimize": "cost_usd"})";
  auto r = run_moesim("plan " + moesim::test::tiny_scenario_args() + " --space " + (dir / "space.json").string() +
                      " --seeds 1 --threads 1 --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::ifstream in(dir / "out" / "plan.json");
  auto plan = nlohmann::json::parse(in);
  CHECK(plan.dump().find("kimi-k2") != std::string::npos);
  CHECK(r.output.find("screen and simulation agree on feasibility for 2 of 2") != std::string::npos);
}

TEST_CASE("step: the EPLB balances 128, 256 and 384 experts under skew for every registered model") {
  for (const char* model : {"gpt-oss-120b", "qwen3-235b-a22b", "deepseek-v3", "kimi-k2"}) {
    INFO(model);
    const std::string setting = std::string("--model ") + model +
                                " --hardware h200 --phase decode --ep 144 --batch-per-gpu 32 --kv-len 2048 "
                                "--expert-skew zipf:0.8";
    auto none = moesim::test::step_json(setting + " --eplb none");
    auto eplb = moesim::test::step_json(setting + " --eplb auto");
    CHECK(eplb["expert_factor"].get<double>() < 0.5 * none["expert_factor"].get<double>());
    CHECK(eplb["step_time_s"].get<double>() < none["step_time_s"].get<double>());
  }
}
