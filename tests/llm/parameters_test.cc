// Parameter counts and KV bytes from the dimensions alone, for every registered model, against the published figures.
//
// Published figures and their sources (each checked within its own rounding: "671 B" covers [670.5, 671.5) B):
//   DeepSeek-V3      671 B total, 37 B active      github.com/deepseek-ai/DeepSeek-V3 README (the 685 B on Hugging Face
//                                                 are 671 B of main model and 14 B of MTP module, not counted here)
//   Kimi-K2          1 T total, 32 B active        github.com/MoonshotAI/Kimi-K2 README, model summary. Its technical
//                                                 report (arXiv 2507.20534) says 1.04 T: these dimensions give 1.026 T,
//                                                 1.3 % less, which we cannot reconcile; checked against "1.0 T" (2
//                                                 digits)
//   Qwen3-235B-A22B  235 B total, 22 B active,     huggingface.co/Qwen/Qwen3-235B-A22B model card
//                    234 B non-embedding
//   gpt-oss-120b     116.8 B total, 5.1 B active   gpt-oss model card (arXiv 2508.10925) sec. 2.1 (the README rounds to
//                                                 117 B); its biases and sinks (about 40 M) are not counted here
// The conventions (model.h): embedding and LM head both counted in the total; the LM head but not the embedding table
// is active; norms, biases and MTP modules are not counted.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "models/llm/model.h"

namespace {

using namespace moesim;

// Whether `value` rounds to `published` at the published figure's last digit (`unit`): 671 B at 1 B, 5.1 B at 0.1 B.
bool rounds_to(double value, double published, double unit) { return std::abs(value - published) <= unit / 2; }

struct Published {
  const char* name;
  double total;
  double total_unit;
  double active;
  double active_unit;
};

}  // namespace

TEST_CASE("model parameters: each registered model's total and active counts round to its published figures") {
  for (const Published& p :
       {Published{"deepseek-v3", 671e9, 1e9, 37e9, 1e9}, Published{"kimi-k2", 1.0e12, 0.1e12, 32e9, 1e9},
        Published{"qwen3-235b-a22b", 235e9, 1e9, 22e9, 1e9}, Published{"gpt-oss-120b", 116.8e9, 0.1e9, 5.1e9, 0.1e9}}) {
    auto m = llm::load_model(p.name);
    INFO(p.name << ": total " << m.total_parameters() / 1e9 << " B, active " << m.active_parameters() / 1e9 << " B");
    CHECK(rounds_to(m.total_parameters(), p.total, p.total_unit));
    CHECK(rounds_to(m.active_parameters(), p.active, p.active_unit));
  }
}

TEST_CASE("model parameters: the counts follow the stated conventions") {
  // DeepSeek-V3's figures worked by hand: 671,025,397,760 in all, 36,624,596,992 active (the MTP module's 14 B left
  // out; the embedding table's 0.93 B not active).
  auto v3 = llm::load_model("deepseek-v3");
  CHECK(v3.total_parameters() == 671'025'397'760.0);
  CHECK(v3.active_parameters() == 36'624'596'992.0);
  CHECK(v3.total_parameters() - v3.active_parameters() ==
        58.0 * (256 - 8) * 3 * 7168 * 2048 + 7168.0 * 129280);  // idle routed experts and the embedding table
  // Qwen3's model card also gives the non-embedding count, 234 B: the total less the embedding and the LM head.
  auto qwen = llm::load_model("qwen3-235b-a22b");
  CHECK(rounds_to(qwen.total_parameters() - 2.0 * qwen.hidden * qwen.vocab, 234e9, 1e9));
  // gpt-oss: MXFP4 experts are counted as parameters, not bytes: 36 x 128 x 3 x 2880^2 = 114.66 B of them.
  auto oss = llm::load_model("gpt-oss-120b");
  CHECK(oss.total_parameters() ==
        Approx(114'661'785'600.0 + 36 * 26'542'080.0 + 36 * 2880.0 * 128 + 2 * 2880.0 * 201088));
}

TEST_CASE("model KV: bytes per token from the dimensions, for every registered model") {
  // MLA: 61 x (512 + 64) x 2 B (DeepSeek-V3, and Kimi-K2 with the same latent). GQA: layers x 2 x kv_heads x
  // head_dim x 2 B.
  struct Kv {
    const char* name;
    double per_layer;
    double per_token;
  };
  for (const Kv& k :
       {Kv{"deepseek-v3", 1152, 70272}, Kv{"kimi-k2", 1152, 70272}, Kv{"qwen3-235b-a22b", 2 * 4 * 128 * 2, 94 * 2048},
        Kv{"gpt-oss-120b", 2 * 8 * 64 * 2, 36 * 2048}}) {
    INFO(k.name);
    auto m = llm::load_model(k.name);
    CHECK(m.kv_bytes_per_token_per_layer() == k.per_layer);
    CHECK(m.kv_bytes_per_token() == k.per_token);
    // Without windowed layers a sequence's KV is its length times the per-token figure.
    if (m.attention.gqa.sliding_window == 0) CHECK(m.kv_bytes_for_sequence(4096) == 4096 * k.per_token);
  }
}

TEST_CASE("model KV: gpt-oss's windowed layers stop growing at 128 tokens") {
  auto m = llm::load_model("gpt-oss-120b");
  REQUIRE(m.attention.gqa.sliding_window == 128);
  REQUIRE(m.attention.gqa.sliding_window_layers == 18);
  // Within the window every layer holds every token.
  CHECK(m.kv_bytes_for_sequence(100) == 100 * m.kv_bytes_per_token());
  CHECK(m.kv_bytes_for_sequence(128) == 128 * m.kv_bytes_per_token());
  // A 128 k sequence: 18 full layers x 131,072 tokens + 18 windowed layers x 128 tokens, 2,048 B each.
  CHECK(m.kv_bytes_for_sequence(131072) == 2048.0 * (18 * 131072 + 18 * 128));
  CHECK(m.kv_bytes_for_sequence(131072) == 4'836'556'800.0);
  // Beyond the window a token adds only the full layers' share: half the per-token figure.
  CHECK(m.kv_bytes_for_sequence(10001) - m.kv_bytes_for_sequence(10000) == m.kv_bytes_per_token() / 2);
}

TEST_CASE("model weights: each component in its own precision (gpt-oss's experts in MXFP4, the rest BF16)") {
  auto m = llm::load_model("gpt-oss-120b");
  REQUIRE(m.precision.moe == hardware::Precision::kMxfp4);
  REQUIRE(m.precision.dense == hardware::Precision::kBf16);
  // One GPU holding all 128 experts: 114.66 B expert weights at 0.53125 B (4 bits and an 8-bit scale per 32), the
  // attention and routers at 2 B, the embedding and LM head at 2 B: 65.2 GB, against the 60.8 GiB (65.3 GB) checkpoint
  // of the model card (whose biases and norms are BF16 too).
  const double experts = 36.0 * 128 * 3 * 2880 * 2880;
  const double attention_and_routers = 36.0 * (26'542'080 + 2880 * 128);
  const double embeddings = 2.0 * 2880 * 201088;
  CHECK(m.weight_bytes_per_gpu(1, 128) == Approx(experts * 0.53125 + attention_and_routers * 2 + embeddings * 2));
  CHECK(m.weight_bytes_per_gpu(1, 128) / 1e9 == Approx(65.2).margin(0.05));
  // Spreading the experts over 8 GPUs divides only the experts.
  CHECK(m.weight_bytes_per_gpu(1, 128) - m.weight_bytes_per_gpu(8, 128) == Approx(experts * 0.53125 * 7 / 8));
}

TEST_CASE("model registry: every registered model loads and says whether routing statistics are published") {
  for (const auto& entry : llm::registered_models()) {
    INFO(entry.name);
    auto m = llm::load_model(entry.name);
    CHECK(m.name == entry.name);
    CHECK_FALSE(m.routing.source.empty());
    CHECK(m.total_parameters() > m.active_parameters());
    CHECK(m.active_parameters() > 0);
  }
  CHECK(llm::load_model("deepseek-v3").routing.statistics_published);
  for (const char* name : {"kimi-k2", "qwen3-235b-a22b", "gpt-oss-120b"})
    CHECK_FALSE(llm::load_model(name).routing.statistics_published);
  CHECK(llm::canonical_model_name("kimi-k2-instruct") == "kimi-k2");
  CHECK(llm::load_model("qwen3-235b-a22b").attention.gqa.qk_norm);
}
