#include "models/llm/model.h"

#include <fmt/format.h>

#include "common/json_reader.h"

namespace moesim::llm {

namespace {

double sourced(JsonReader& r, std::string_view key, Range range) { return r.sourced_number(key, range); }

int positive(JsonReader& r, std::string_view key) {
  return static_cast<int>(r.integer(key, {1, 10'000'000, "a positive integer"}));
}

}  // namespace

ModelSpec load_model(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  ModelSpec m;
  m.name = r.string("name");
  r.string_or("about", "");
  r.string("source");
  m.hidden = positive(r, "hidden");
  m.layers = positive(r, "layers");
  m.dense_layers = static_cast<int>(r.integer("dense_layers", IntRange::non_negative()));
  m.dense_ffn = positive(r, "dense_ffn");
  m.routed_experts = positive(r, "routed_experts");
  m.experts_per_token = positive(r, "experts_per_token");
  m.expert_groups = positive(r, "expert_groups");
  m.groups_per_token = positive(r, "groups_per_token");
  m.shared_experts = static_cast<int>(r.integer("shared_experts", IntRange::non_negative()));
  m.expert_ffn = positive(r, "expert_ffn");
  m.heads = positive(r, "heads");
  m.q_lora_rank = positive(r, "q_lora_rank");
  m.kv_lora_rank = positive(r, "kv_lora_rank");
  m.qk_nope_head_dim = positive(r, "qk_nope_head_dim");
  m.qk_rope_head_dim = positive(r, "qk_rope_head_dim");
  m.v_head_dim = positive(r, "v_head_dim");
  m.vocab = positive(r, "vocab");
  m.mtp_modules = static_cast<int>(r.integer("mtp_modules", {0, 1, "0 or 1"}));
  m.mtp_acceptance = sourced(r, "mtp_acceptance", Range::fraction());
  m.weight_bytes_per_param = sourced(r, "weight_bytes_per_param", Range::positive());
  m.kv_bytes_per_token_per_layer = sourced(r, "kv_bytes_per_token_per_layer", Range::positive());
  if (m.dense_layers >= m.layers) r.fail("dense_layers", "must be fewer than layers");
  if (m.routed_experts % m.expert_groups != 0) r.fail("expert_groups", "must divide routed_experts");
  if (m.groups_per_token > m.expert_groups) r.fail("groups_per_token", "must not exceed expert_groups");
  r.finish();
  return m;
}

double ModelSpec::weight_bytes_per_gpu(int gpus, int expert_slots) const {
  double h = hidden;
  double attention = h * q_lora_rank + h * (kv_lora_rank + qk_rope_head_dim) +
                     static_cast<double>(q_lora_rank) * heads * (qk_nope_head_dim + qk_rope_head_dim) +
                     static_cast<double>(kv_lora_rank) * heads * (qk_nope_head_dim + v_head_dim) +
                     static_cast<double>(heads) * v_head_dim * h + h * routed_experts;
  double expert = 3.0 * h * expert_ffn;
  double dense_ffn_params = 3.0 * h * dense_ffn;
  double per_gpu_experts = static_cast<double>(expert_slots) / gpus;
  double params = layers * attention + moe_layers() * (shared_experts * expert + per_gpu_experts * expert) +
                  dense_layers * dense_ffn_params;
  // MTP module: one more MoE layer and its 2h -> h projection.
  params += mtp_modules * (attention + shared_experts * expert + per_gpu_experts * expert + 2.0 * h * h);
  double bf16_params = 2.0 * h * vocab;  // embedding and LM head, BF16
  return params * weight_bytes_per_param + bf16_params * 2.0;
}

std::vector<Operator> layer_operators(const ModelSpec& m, Phase phase, bool moe) {
  using K = OpKind;
  using S = OpStage;
  double h = m.hidden;
  double qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
  std::vector<Operator> ops;
  auto gemm = [&](std::string name, S stage, double n, double k) {
    ops.push_back({std::move(name), K::kGemm, stage, n, k, 1, "fp8", false, ""});
  };
  auto elementwise = [&](std::string name, S stage, std::string kernel) {
    ops.push_back({std::move(name), K::kElementwise, stage, 0, 0, 1, "bf16", false, std::move(kernel)});
  };
  elementwise("rmsnorm", S::kAttn0, "rmsnorm");
  gemm("q_a+kv_a", S::kAttn0, m.q_lora_rank + m.kv_lora_rank + m.qk_rope_head_dim, h);
  gemm("q_b", S::kAttn0, m.heads * qk, m.q_lora_rank);
  elementwise("rope+copies", S::kAttn0, "rope_and_qk_copies");
  if (phase == Phase::kPrefill) {
    gemm("kv_b", S::kAttn0, m.heads * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank);
    ops.push_back({"attention", K::kPrefillAttention, S::kAttn1, 0, 0, 1, "bf16", false, ""});
  } else {
    // Absorbed MLA: q_nope through W_UK into the latent space before attention, W_UV after it (per head, BF16).
    ops.push_back({"absorb_q", K::kBatchedGemm, S::kAttn0, static_cast<double>(m.kv_lora_rank),
                   static_cast<double>(m.qk_nope_head_dim), m.heads, "bf16", false, ""});
    ops.push_back({"attention", K::kDecodeAttention, S::kAttn1, 0, 0, 1, "bf16", false, ""});
    ops.push_back({"absorb_v", K::kBatchedGemm, S::kAttn1, static_cast<double>(m.v_head_dim),
                   static_cast<double>(m.kv_lora_rank), m.heads, "bf16", false, ""});
  }
  elementwise("output_casts", S::kAttn1, "attention_output_fp8_casts");
  gemm("o_proj", S::kAttn1, h, static_cast<double>(m.heads) * m.v_head_dim);
  elementwise("residual+rmsnorm", S::kAttn1, "residual_and_rmsnorm");
  if (!moe) {
    gemm("dense_gate_up", S::kMlp, 2.0 * m.dense_ffn, h);
    elementwise("swiglu", S::kMlp, "swiglu_fp8_cast");
    gemm("dense_down", S::kMlp, h, m.dense_ffn);
    return ops;
  }
  elementwise("router+topk", S::kAttn1, "router_and_topk");
  gemm("shared_gate_up", S::kShared, 2.0 * m.expert_ffn * m.shared_experts, h);
  gemm("shared_down", S::kShared, h, static_cast<double>(m.expert_ffn) * m.shared_experts);
  ops.push_back({"dispatch", K::kDispatch, S::kDispatch, 0, 0, 1, "fp8", true, ""});
  // Decode's low-latency dispatch writes the per-expert (masked) layout itself and its combine reduces: no permute
  // or unpermute kernels there (shared/reference/deepseek-profile.md).
  bool prefill = phase == Phase::kPrefill;
  if (prefill) elementwise("permute", S::kMlp, "permute");
  ops.push_back({"experts_gate_up", K::kGroupedGemm, S::kMlp, 2.0 * m.expert_ffn, h, 1, "fp8", false, ""});
  elementwise("swiglu", S::kMlp, "swiglu_fp8_cast");
  ops.push_back({"experts_down", K::kGroupedGemm, S::kMlp, h, static_cast<double>(m.expert_ffn), 1, "fp8", false, ""});
  if (prefill) elementwise("unpermute", S::kMlp, "unpermute_weighted_sum");
  ops.push_back({"combine", K::kCombine, S::kCombine, 0, 0, 1, "bf16", true, ""});
  return ops;
}

}  // namespace moesim::llm
