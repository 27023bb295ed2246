// The model registry and the model description: names, aliases and paths resolve to the same model; DeepSeek-V3's
// derived figures (KV bytes per token) come from its dimensions alone.
#include "models/llm/model.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/error.h"
#include "common/paths.h"
#include "models/llm/operators.h"

namespace {
using namespace moesim;
}  // namespace

TEST_CASE("model registry: a name, an alias and a file path load the same model") {
  auto by_name = llm::load_model("deepseek-v3");
  auto by_alias = llm::load_model("deepseek-r1");
  auto by_path = llm::load_model("models/llm/deepseek-v3.json");
  auto by_absolute = llm::load_model(data_path("models/llm/deepseek-v3.json").string());
  for (const auto* m : {&by_alias, &by_path, &by_absolute}) {
    CHECK(m->name == "deepseek-v3");
    CHECK(m->hidden == by_name.hidden);
    CHECK(m->moe.routed_experts == by_name.moe.routed_experts);
  }
  CHECK(llm::canonical_model_name("deepseek-r1") == "deepseek-v3");
  CHECK(llm::canonical_model_name("no-such-model").empty());
}

TEST_CASE("model registry: an unknown name is an input error that lists the known models") {
  CHECK_THROWS_AS(llm::load_model("gpt-5"), InputError);
  CHECK_THROWS_WITH(llm::load_model("gpt-5"),
                    Catch::Contains("unknown model \"gpt-5\"") && Catch::Contains("deepseek-v3 (deepseek-r1, v3, r1)"));
  CHECK_THROWS_WITH(llm::load_model("no/such/file.json"), Catch::Contains("not found"));
}

TEST_CASE("model registry: names and aliases match without case, r1 and the traces' old V3 / R1 are deepseek-v3") {
  CHECK(llm::canonical_model_name("DeepSeek-R1") == "deepseek-v3");
  CHECK(llm::canonical_model_name("R1") == "deepseek-v3");
  CHECK(llm::canonical_model_name("V3") == "deepseek-v3");
  CHECK(llm::canonical_model_name("Kimi-K2-Instruct") == "kimi-k2");
  CHECK(llm::canonical_model_name("deepseek-v4").empty());
  CHECK(llm::load_model("DeepSeek-R1").name == "deepseek-v3");
  CHECK(llm::load_model("kimi-k2").served_names() ==
        std::vector<std::string>{"kimi-k2", "kimi-k2-instruct", "kimi-k2-base"});
}

TEST_CASE("model: DeepSeek-V3's KV cache is 1,152 B per token and layer, 70,272 B per token, from its dimensions") {
  auto m = llm::load_model("deepseek-v3");
  CHECK(m.attention.kind == llm::AttentionKind::kMla);
  CHECK(m.kv_bytes_per_token_per_layer() == 1152.0);
  CHECK(m.kv_bytes_per_token() == 70272.0);
  CHECK(m.moe_layers() == 58);
  CHECK(m.mtp.modules == 1);
  CHECK(m.precision.moe == hardware::Precision::kFp8);
  CHECK(m.precision.kv == hardware::Precision::kBf16);
}

TEST_CASE("model: a layer's operators carry their component's precision") {
  auto m = llm::load_model("deepseek-v3");
  for (const auto& op : llm::layer_operators(m, llm::Phase::kDecode, true)) {
    if (op.kind == llm::OpKind::kGroupedGemm) CHECK(op.precision == m.precision.moe);
    if (op.kind == llm::OpKind::kGemm) CHECK(op.precision == m.precision.dense);
    if (op.kind == llm::OpKind::kDecodeAttention) CHECK(op.precision == m.precision.attention);
  }
}

TEST_CASE("precision: names round-trip and element sizes carry the FP4 formats' scales") {
  for (auto p : {hardware::Precision::kBf16, hardware::Precision::kFp8, hardware::Precision::kNvfp4,
                 hardware::Precision::kMxfp4}) {
    CHECK(hardware::parse_precision(hardware::precision_name(p)) == p);
  }
  CHECK_FALSE(hardware::parse_precision("fp16").has_value());
  CHECK(hardware::element_bytes(hardware::Precision::kNvfp4) == Approx(0.5625));
  CHECK(hardware::element_bytes(hardware::Precision::kMxfp4) == Approx(0.53125));
}
