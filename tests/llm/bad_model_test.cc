// Bad model files: a scratch copy of a registered model with one thing broken; each error names the file, the JSON
// key and what is wrong.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/paths.h"
#include "models/llm/model.h"

using namespace moesim;

namespace {

// A scratch copy of models/llm/`model`.json with each `from` replaced by its `to` (the first occurrence; each must be
// there). One folder per process: CTest runs each test case in its own process, in parallel.
std::filesystem::path broken(const std::string& model, const std::vector<std::pair<std::string, std::string>>& edits) {
  auto dir = std::filesystem::temp_directory_path() / ("moesim-model-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ifstream in(data_path("models/llm/" + model + ".json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [from, to] : edits) {
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
  }
  auto file = dir / (model + ".json");
  std::ofstream(file) << text;
  return file;
}

std::string load_error(const std::filesystem::path& file) {
  try {
    llm::load_model_file(file);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace

TEST_CASE("bad model file: the scratch copies load unbroken") {
  for (const char* name : {"deepseek-v3", "kimi-k2", "qwen3-235b-a22b", "gpt-oss-120b"}) {
    CHECK(load_error(broken(name, {})) == "(loaded)");
  }
}

TEST_CASE("bad model file: an unknown attention kind lists the known ones") {
  auto file = broken("qwen3-235b-a22b", {{"\"kind\": \"gqa\"", "\"kind\": \"mha\""}});
  CHECK_THAT(load_error(file),
             Catch::Contains("qwen3-235b-a22b.json: attention.kind: expected one of mla, gqa, got \"mha\""));
}

TEST_CASE("bad model file: more experts per token than routed experts") {
  auto file =
      broken("gpt-oss-120b", {{"\"experts_per_token\": {\"value\": 4", "\"experts_per_token\": {\"value\": 200"}});
  CHECK_THAT(load_error(file),
             Catch::Contains("gpt-oss-120b.json: ffn.experts_per_token: 200 experts per token, but only 128 routed "
                             "experts"));
}

TEST_CASE("bad model file: expert groups that do not divide the routed experts") {
  auto file = broken("deepseek-v3", {{"\"expert_groups\": {\"value\": 8", "\"expert_groups\": {\"value\": 7"}});
  CHECK_THAT(load_error(file),
             Catch::Contains("deepseek-v3.json: ffn.expert_groups: 7 groups do not divide the 256 routed experts"));
}

TEST_CASE("bad model file: more groups per token than groups, or fewer experts in reach than per token") {
  auto file = broken("deepseek-v3", {{"\"groups_per_token\": {\"value\": 4", "\"groups_per_token\": {\"value\": 9"}});
  CHECK_THAT(load_error(file),
             Catch::Contains("deepseek-v3.json: ffn.groups_per_token: 9 groups per token, but only 8 groups"));
  // 64 groups of 4 experts, one group a token: 4 experts in reach for 8 experts a token.
  file = broken("deepseek-v3", {{"\"expert_groups\": {\"value\": 8", "\"expert_groups\": {\"value\": 64"},
                                {"\"groups_per_token\": {\"value\": 4", "\"groups_per_token\": {\"value\": 1"}});
  CHECK_THAT(load_error(file), Catch::Contains("deepseek-v3.json: ffn.experts_per_token: 8 experts per token, but "
                                               "the 1 groups a token reaches hold 4"));
}

TEST_CASE("bad model file: a sliding window longer than the context, or on more layers than there are") {
  auto file =
      broken("gpt-oss-120b", {{"\"sliding_window\": {\"value\": 128", "\"sliding_window\": {\"value\": 200000"}});
  CHECK_THAT(load_error(file), Catch::Contains("gpt-oss-120b.json: attention.sliding_window: a window of 200000 "
                                               "tokens is longer than the context (131072)"));
  file = broken("gpt-oss-120b",
                {{"\"sliding_window_layers\": {\"value\": 18", "\"sliding_window_layers\": {\"value\": 40"}});
  CHECK_THAT(load_error(file), Catch::Contains("gpt-oss-120b.json: attention.sliding_window_layers: 40 windowed "
                                               "layers, but the model has 36 layers"));
  // A window without its layer count (or the reverse) is half a description.
  file = broken("gpt-oss-120b", {{"\"sliding_window_layers\"", "\"windowed_layers\""}});
  CHECK_THAT(load_error(file), Catch::Contains("gpt-oss-120b.json: attention.sliding_window_layers: sliding_window "
                                               "and sliding_window_layers go together"));
}

TEST_CASE("bad model file: a missing or negative dimension names its key") {
  auto file = broken("qwen3-235b-a22b", {{"\"head_dim\"", "\"head_dimension\""}});
  CHECK_THAT(load_error(file), Catch::Contains("qwen3-235b-a22b.json: attention.head_dim: missing required key"));
  file = broken("qwen3-235b-a22b", {{"\"kv_heads\": {\"value\": 4", "\"kv_heads\": {\"value\": -4"}});
  CHECK_THAT(load_error(file), Catch::Contains("qwen3-235b-a22b.json: attention.kv_heads.value: expected a positive "
                                               "whole number, got -4"));
  file = broken("kimi-k2", {{"\"dense_layers\": {\"value\": 1", "\"dense_layers\": {\"value\": -1"}});
  CHECK_THAT(load_error(file), Catch::Contains("kimi-k2.json: ffn.dense_layers.value: expected a non-negative whole "
                                               "number, got -1"));
  file = broken("kimi-k2", {{"\"hidden\": {\"value\": 7168", "\"hidden\": {\"value\": 7168.5"}});
  CHECK_THAT(load_error(file), Catch::Contains("kimi-k2.json: hidden: expected a whole number, got 7168.5"));
}

TEST_CASE("bad model file: KV heads that do not divide the query heads") {
  auto file = broken("qwen3-235b-a22b", {{"\"kv_heads\": {\"value\": 4", "\"kv_heads\": {\"value\": 6"}});
  CHECK_THAT(load_error(file), Catch::Contains("qwen3-235b-a22b.json: attention.kv_heads: 6 KV heads do not divide "
                                               "the 64 query heads"));
}

TEST_CASE(
    "bad model file: another kind's dimensions, an unknown precision, an unsourced property, a bad routing note") {
  // MLA's latent rank in a GQA block is an unknown key there.
  auto file = broken("qwen3-235b-a22b", {{"\"kind\": \"gqa\",",
                                          "\"kind\": \"gqa\", \"kv_lora_rank\": {\"value\": "
                                          "512, \"source\": \"x\"},"}});
  CHECK_THAT(load_error(file), Catch::Contains("qwen3-235b-a22b.json: attention.kv_lora_rank: unknown key"));
  file = broken("gpt-oss-120b", {{"\"value\": \"mxfp4\"", "\"value\": \"mxfp6\""}});
  CHECK_THAT(load_error(file), Catch::Contains("gpt-oss-120b.json: precision.moe: expected one of") &&
                                   Catch::Contains("mxfp4, got \"mxfp6\""));
  file = broken("qwen3-235b-a22b", {{"\"qk_norm\": {\"value\": true, \"source\": \"Qwen3",
                                     "\"qk_norm\": {\"value\": "
                                     "true, \"source\": \"\", "
                                     "\"note\": \"Qwen3"}});
  CHECK_THAT(load_error(file), Catch::Contains("qwen3-235b-a22b.json: attention.qk_norm.source: a model property "
                                               "needs a source"));
  file = broken("kimi-k2", {{"\"statistics\": \"none\"", "\"statistics\": \"unknown\""}});
  CHECK_THAT(load_error(file), Catch::Contains("kimi-k2.json: routing.statistics: expected one of published, none, "
                                               "got \"unknown\""));
}
