// Every registered model runs a unit's step on every hardware kind where it fits, from its description alone
// (operators per attention kind, none per model); its step never falls as its load grows; a sliding window caps
// what the windowed layers attend to.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "hardware/hardware.h"
#include "models/cost/kernels.h"
#include "models/llm/geometry.h"
#include "models/llm/model.h"
#include "models/pipeline/unit_step.h"

using namespace moesim;

namespace {

// The smallest redundant-expert count (from 0) that makes the slots divide among the unit's GPUs.
llm::UnitGeometry geometry(const hardware::Hardware& hw, const llm::ModelSpec& m, int ep) {
  const int experts = m.moe.routed_experts;
  const int redundant = (ep - experts % ep) % ep;
  return llm::unit_geometry(hw.node, m, ep / hw.node.gpus, redundant);
}

}  // namespace

TEST_CASE("models: every registered model steps on every kind where it fits, and its step never falls with load") {
  int ran = 0;
  for (const auto& entry : llm::registered_models()) {
    const auto model = llm::load_model(entry.name);
    for (const auto& kind : hardware::hardware_names()) {
      INFO(entry.name << " on " << kind);
      const auto hw = hardware::load_hardware(kind);
      const auto dg = geometry(hw, model, 144);
      pipeline::UnitStepModel decode(hw, model, {llm::Phase::kDecode, dg.gpus, true, model.mtp.modules > 0, dg.expert_slots});
      if (!decode.memory_fit(64 * 4096.0, 64).fits()) continue;
      double prev = 0;
      for (double seqs : {8.0, 16.0, 32.0, 64.0}) {
        const double t = decode.decode_loads(decode.uniform_decode_loads(seqs, 4096), 1.2).step_s;
        CHECK(std::isfinite(t));
        CHECK(t >= prev);
        prev = t;
      }
      const auto pg = geometry(hw, model, 32);
      pipeline::UnitStepModel prefill(hw, model, {llm::Phase::kPrefill, pg.gpus, true, false, pg.expert_slots});
      if (!prefill.memory_fit(16384, 16384).fits()) continue;
      prev = 0;
      for (double tokens : {2048.0, 4096.0, 8192.0, 16384.0}) {
        std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(pg.gpus), {tokens, tokens * (tokens + 1) / 2, 1});
        const double t = prefill.prefill(ranks, 1.2).step_s;
        CHECK(std::isfinite(t));
        CHECK(t >= prev);
        prev = t;
      }
      ++ran;
    }
  }
  CHECK(ran >= 16);  // four models on most of six kinds
}

TEST_CASE("models: a sliding window caps the windowed layers' attention, and a model without one is unchanged") {
  auto hw = hardware::load_hardware("h800");
  auto oss = llm::load_model("gpt-oss-120b");
  cost::KernelModel k(hw, oss);
  REQUIRE(oss.attention.gqa.sliding_window == 128);
  REQUIRE(oss.attention.gqa.sliding_window_layers == oss.layers / 2);
  // 4,096 new tokens of one prompt: the full layers see 4096 x 4097 / 2 pairs, the windowed ones at most 128 each.
  const double pairs = 4096.0 * 4097 / 2;
  CHECK(k.windowed_pairs(pairs, 4096) == Approx(0.5 * pairs + 0.5 * 4096 * 128));
  // Decode over long sequences: the windowed half reads 128 keys a sequence, so attention costs about half.
  const double long_kv = k.decode_attention_s(64, 64 * 131072.0, 1, 132);
  auto full = oss;
  full.attention.gqa.sliding_window = 0;
  full.attention.gqa.sliding_window_layers = 0;
  cost::KernelModel k_full(hw, full);
  CHECK(long_kv < 0.55 * k_full.decode_attention_s(64, 64 * 131072.0, 1, 132));
  cost::KernelModel v3(hw, llm::load_model("deepseek-v3"));
  CHECK(v3.windowed_pairs(pairs, 4096) == pairs);
}
