// End to end: `moesim trace stats|convert|gen` as a user runs them (issue 5, "Done when": the sample trace figures).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/traces/helpers.h"

using Catch::Matchers::Contains;
using moesim::traces::test::run;
using moesim::traces::test::sample;
using moesim::traces::test::TempDir;

namespace {

std::string binary() { return std::string(MOESIM_BINARY); }

nlohmann::json stats_json(const std::string& args) {
  auto [status, out] = run(binary() + " trace stats " + args + " --json");
  REQUIRE(status == 0);
  return nlohmann::json::parse(out);
}

}  // namespace

TEST_CASE("cli: trace stats on the Mooncake conversation trace gives its published figures") {
  auto j = stats_json(sample("mooncake_conversation_trace.jsonl.gz").string() + " --cache-blocks 10000");
  CHECK(j["requests"] == 12031);
  CHECK(j["input_mean"].get<double>() == Approx(12035).margin(0.5));
  CHECK(j["output_mean"].get<double>() == Approx(343).margin(0.5));
  CHECK(j["prefix_hit_ratio"].get<double>() == Approx(0.366).margin(0.002));
  CHECK(j["prefix_hit_ratio_lru"].get<double>() < j["prefix_hit_ratio"].get<double>());
  CHECK(j["cached_fraction"].get<double>() > 0.3);
  CHECK(j["kv_len_per_output_token"].get<double>() > 12035);
  CHECK(j["input_tokens"] == 144793823);
  CHECK(j["skipped_bad"] == 0);
}

TEST_CASE("cli: trace stats on the Azure conversation trace gives 19,366 requests with mean input 1,155") {
  auto j = stats_json(sample("AzureLLMInferenceTrace_conv.csv").string());
  CHECK(j["requests"] == 19366);
  CHECK(j["input_mean"].get<double>() == Approx(1155).margin(0.5));
  CHECK(j["prefix_hit_ratio"].is_null());
  CHECK(j["cached_fraction"] == 0.0);
  CHECK(j.contains("hours"));
  CHECK(j["input_percentiles"]["p50"] == 1020);
}

TEST_CASE("cli: a bad trace line exits with status 2 naming file:line, and --skip-bad counts it") {
  TempDir dir;
  auto bad = dir.write("bad.csv",
                       "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n"
                       "2023-11-16 18:15:47.0,abc,5\n2023-11-16 18:15:48.0,10,5\n");
  auto [status, out] = run(binary() + " trace stats " + bad.string() + " 2>&1");
  CHECK(status == 2);
  CHECK_THAT(out, Contains(bad.string() + ":3: ContextTokens: expected an integer, got 'abc'"));
  auto j = stats_json(bad.string() + " --skip-bad 2>/dev/null");
  CHECK(j["requests"] == 2);
  CHECK(j["skipped_bad"] == 1);
  auto [missing_status, missing_out] = run(binary() + " trace stats " + dir.path("nope.csv").string() + " 2>&1");
  CHECK(missing_status == 2);
  CHECK_THAT(missing_out, Contains("nope.csv: cannot open"));
}

TEST_CASE("cli: trace gen writes the same file for the same seed, and convert reads it back") {
  TempDir dir;
  auto a = dir.path("a.trace.csv.zst").string();
  auto b = dir.path("b.trace.csv.zst").string();
  auto [sa, oa] = run(binary() + " trace gen --profile deepseek-day --scale 0.0002 --seed 3 --out " + a);
  auto [sb, ob] = run(binary() + " trace gen --profile deepseek-day --scale 0.0002 --seed 3 --out " + b);
  REQUIRE(sa == 0);
  REQUIRE(sb == 0);
  auto [cmp, cmp_out] = run("cmp " + a + " " + b);
  CHECK(cmp == 0);
  CHECK_THAT(oa, Contains("continuation probability"));
  auto [sc, oc] = run(binary() + " trace convert " + a + " " + dir.path("a.jsonl").string());
  CHECK(sc == 0);
  auto j = stats_json(dir.path("a.jsonl").string());
  CHECK(j["requests"].get<int64_t>() > 20000);
  auto [sj, oj] = run(binary() + " trace gen --profile deepseek-day --scale 0.001 --json --check");
  CHECK(sj == 0);
  auto g = nlohmann::json::parse(oj);
  CHECK(g["targets"].size() == 5);
  for (const auto& t : g["targets"]) CHECK(t["ok"] == true);
}

TEST_CASE("cli: trace gen --model serves the day with that model, stats --model refuses another model's requests") {
  TempDir dir;
  auto v3 = dir.path("v3.trace.csv").string();
  auto kimi = dir.path("kimi.trace.csv").string();
  REQUIRE(run(binary() + " trace gen --profile deepseek-day --scale 0.0002 --seed 3 --out " + v3).first == 0);
  REQUIRE(
      run(binary() + " trace gen --profile deepseek-day --scale 0.0002 --seed 3 --model kimi-k2 --out " + kimi).first ==
      0);
  auto by_model = stats_json(v3)["requests_by_model"];
  CHECK(by_model.size() == 2);
  CHECK(by_model["deepseek-v3"].get<int64_t>() > 0);
  CHECK(by_model["deepseek-r1"].get<int64_t>() > 0);
  auto k = stats_json(kimi);
  CHECK(k["requests_by_model"].size() == 1);
  CHECK(k["requests_by_model"]["kimi-k2"] == k["requests"]);
  // The same requests, only the model column differs.
  CHECK(k["input_tokens"] == stats_json(v3)["input_tokens"]);
  // deepseek-v3 serves its own day (r1 is an alias) and refuses kimi-k2's, naming the line and the accepted names.
  CHECK(stats_json(v3 + " --model deepseek-v3")["requests"] == k["requests"]);
  auto [status, out] = run(binary() + " trace stats " + kimi + " --model deepseek-v3 2>&1");
  CHECK(status == 2);
  CHECK_THAT(out, Contains(kimi + ":5: model: 'kimi-k2' is not served in this run (names accepted: deepseek-v3"));
  auto [unknown, unknown_out] = run(binary() + " trace stats " + kimi + " --model gpt-5 2>&1");
  CHECK(unknown == 2);
  CHECK_THAT(unknown_out, Contains("unknown model \"gpt-5\""));
}
