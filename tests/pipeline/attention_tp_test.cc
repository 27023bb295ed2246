// Tensor-parallel attention across a node: heads divide among the group, which sees the group's tokens; KV heads
// fewer than the group are replicated (MLA's latent on every GPU); the output projection ends in an all-reduce over
// NVLink; the FFN stays expert-parallel. Data-parallel attention (DeepSeek's) is the default and unchanged.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "hardware/hardware.h"
#include "models/llm/geometry.h"
#include "models/llm/model.h"
#include "models/pipeline/unit_step.h"

using namespace moesim;

namespace {

pipeline::UnitStepModel decode_unit(const hardware::Hardware& hw, const llm::ModelSpec& m, int tp) {
  const int ep = 32;
  const int redundant = (ep - m.moe.routed_experts % ep) % ep;
  auto g = llm::unit_geometry(hw.node, m, ep / hw.node.gpus, redundant);
  pipeline::UnitConfig c{llm::Phase::kDecode, g.gpus, true, m.mtp.modules > 0, g.expert_slots};
  c.attention_tp = tp;
  return pipeline::UnitStepModel(hw, m, c);
}

}  // namespace

TEST_CASE("attention TP: KV heads fewer than the group are replicated, MLA's latent is on every GPU") {
  auto hw = hardware::load_hardware("h100");
  auto qwen = llm::load_model("qwen3-235b-a22b");  // 4 KV heads
  auto oss = llm::load_model("gpt-oss-120b");      // 8 KV heads
  auto v3 = llm::load_model("deepseek-v3");        // MLA
  REQUIRE(qwen.attention.gqa.kv_heads == 4);
  REQUIRE(oss.attention.gqa.kv_heads == 8);
  // Per token of a GPU's own sequences: 8 GPUs hold 8 x the tokens at 1/4 of the heads each (2x), 1/8 (1x), all (8x).
  CHECK(decode_unit(hw, qwen, 8).kv_bytes_per_own_token() == Approx(2 * qwen.kv_bytes_per_token()));
  CHECK(decode_unit(hw, oss, 8).kv_bytes_per_own_token() == Approx(oss.kv_bytes_per_token()));
  CHECK(decode_unit(hw, v3, 8).kv_bytes_per_own_token() == Approx(8 * v3.kv_bytes_per_token()));
  CHECK(decode_unit(hw, v3, 1).kv_bytes_per_own_token() == v3.kv_bytes_per_token());
  // So a TP group holds fewer of its own tokens where it replicates.
  CHECK(decode_unit(hw, v3, 8).kv_capacity_tokens() < decode_unit(hw, v3, 1).kv_capacity_tokens() / 4);
}

TEST_CASE(
    "attention TP: DeepSeek-V3's step is slower tensor-parallel, a BF16 GQA model's is not, and the all-reduce is "
    "charged") {
  auto hw = hardware::load_hardware("h100");
  auto step = [&](const llm::ModelSpec& m, int tp) {
    auto unit = decode_unit(hw, m, tp);
    return unit.decode_loads(unit.uniform_decode_loads(32, 2048), 1.0, true);
  };
  auto v3 = llm::load_model("deepseek-v3");
  auto qwen = llm::load_model("qwen3-235b-a22b");
  CHECK(step(v3, 8).step_s > step(v3, 1).step_s);
  CHECK(step(qwen, 8).step_s < step(qwen, 1).step_s);  // its BF16 attention weights are read once per group
  bool allreduce = false;
  for (const auto& op : step(qwen, 8).breakdown)
    allreduce = allreduce || (op.name == "attention_allreduce" && op.seconds > 0);
  CHECK(allreduce);
  for (const auto& op : step(qwen, 1).breakdown) CHECK(op.name != "attention_allreduce");
}

TEST_CASE("attention TP: a group that divides neither the unit nor the heads is refused, naming both") {
  auto hw = hardware::load_hardware("h100");
  auto v3 = llm::load_model("deepseek-v3");
  auto g = llm::unit_geometry(hw.node, v3, 4, 32);
  pipeline::UnitConfig c{llm::Phase::kDecode, g.gpus, true, true, g.expert_slots};
  c.attention_tp = 3;
  CHECK_THROWS_WITH(pipeline::UnitStepModel(hw, v3, c),
                    Catch::Contains("a tensor-parallel attention group of 3 GPUs divides neither the unit's 32 GPUs"));
}

TEST_CASE("attention TP: a prefill unit runs tensor-parallel attention with its all-reduce in the ATTN stage") {
  auto hw = hardware::load_hardware("h100");
  auto qwen = llm::load_model("qwen3-235b-a22b");
  auto g = llm::unit_geometry(hw.node, qwen, 2, 0);
  pipeline::UnitConfig c{llm::Phase::kPrefill, g.gpus, true, false, g.expert_slots};
  c.attention_tp = 8;
  pipeline::UnitStepModel unit(hw, qwen, c);
  std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(g.gpus), {8192, 8192.0 * 8193 / 2, 2});
  auto r = unit.prefill(ranks, 1.0, true);
  CHECK(std::isfinite(r.step_s));
  CHECK(r.step_s > 0);
  bool allreduce = false;
  for (const auto& op : r.breakdown) allreduce = allreduce || (op.name == "attention_allreduce" && op.seconds > 0);
  CHECK(allreduce);
}
