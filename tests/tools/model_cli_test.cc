// End-to-end tests of `moesim model`: the list of registered models with their derived figures, one model's
// dimensions with their sources, a windowed model's long-sequence KV, and an unknown model.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "models/llm/model.h"
#include "tests/support/command.h"

using moesim::test::run_moesim;

TEST_CASE("moesim model list: every registered model, with its attention, experts, parameters and KV bytes") {
  auto r = run_moesim("model list --json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.output);
  REQUIRE(j.size() == moesim::llm::registered_models().size());
  for (const auto& row : j) {
    INFO(row["name"]);
    CHECK(row["experts_per_token"].get<int>() <= row["routed_experts"].get<int>());
    CHECK(row["total_parameters"].get<double>() > row["active_parameters"].get<double>());
    CHECK(row["kv_bytes_per_token"].get<double>() > 0);
  }
  CHECK(j[0]["name"] == "deepseek-v3");
  CHECK(j[0]["kv_bytes_per_token"] == 70272);
  auto text = run_moesim("model list");
  CHECK(text.status == 0);
  for (const char* line : {"deepseek-v3      deepseek-r1", "gpt-oss-120b", "kimi-k2-instruct, kimi-k2-base", "gqa",
                           "128/4/0", "671.0 B", "235.1 B"}) {
    INFO(line);
    CHECK(text.output.find(line) != std::string::npos);
  }
}

TEST_CASE("moesim model show: every dimension with its source, the parameter counts and the KV bytes") {
  auto r = run_moesim("model show qwen3-235b --json");  // an alias
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.output);
  CHECK(j["name"] == "qwen3-235b-a22b");
  CHECK(j["attention"]["kind"] == "gqa");
  CHECK(j["attention"]["kv_heads"]["value"] == 4);
  for (const char* part : {"attention", "ffn", "precision"}) {
    for (const auto& [key, figure] : j[part].items()) {
      if (key == "kind") continue;
      INFO(part << "." << key);
      CHECK(!figure["source"].get<std::string>().empty());
    }
  }
  CHECK(j["derived"]["kv_bytes_per_token"] == 192512);
  CHECK(j["derived"]["total_parameters"].get<double>() / 1e9 == Approx(235.1).margin(0.05));
  auto text = run_moesim("model show kimi-k2");
  CHECK(text.status == 0);
  CHECK(text.output.find("ffn.routed_experts                    384  config.json: n_routed_experts") !=
        std::string::npos);
  CHECK(text.output.find("routing.statistics") != std::string::npos);
  CHECK(text.output.find("active parameters") != std::string::npos);
}

TEST_CASE("moesim model show: a windowed model's KV of a 128 k sequence, a file path, an unknown model") {
  auto r = run_moesim("model show gpt-oss-120b");
  REQUIRE(r.status == 0);
  CHECK(r.output.find("KV bytes of a 131,072-token seq.       4.837 GB  18 of 36 layers hold only the last 128 "
                      "tokens") != std::string::npos);
  auto j = nlohmann::json::parse(run_moesim("model show models/llm/gpt-oss-120b.json --json").output);
  CHECK(j["derived"]["kv_bytes_per_131072_token_sequence"] == 4836556800.0);
  CHECK(j["precision"]["moe"]["value"] == "mxfp4");
  auto bad = run_moesim("model show gpt-5");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("unknown model \"gpt-5\" (known: deepseek-v3 (deepseek-r1, v3, r1)") != std::string::npos);
}
