// Multi-head latent attention (DeepSeek-V2 paper sec. 2.1; DeepSeek-V3 technical report sec. 2.1.1): the query and
// the KV go through low-rank projections; prefill decompresses the latent (kv_b) and runs causal attention with
// qk = nope + rope and v = v_head_dim; decode absorbs W_UK into the query and W_UV after attention, attending in the
// latent space (key kv_lora + rope, value kv_lora: FlashMLA).
#include "models/llm/operators.h"

namespace moesim::llm {

void append_mla_attention(const ModelSpec& m, Phase phase, std::vector<Operator>& ops) {
  using K = OpKind;
  using S = OpStage;
  const auto& a = m.attention.mla;
  const int heads = m.attention.heads;
  const double h = m.hidden;
  const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
  const Precision dense = m.precision.dense;
  auto gemm = [&](std::string name, S stage, double n, double k) {
    ops.push_back({std::move(name), K::kGemm, stage, n, k, 1, dense, false, ""});
  };
  auto elementwise = [&](std::string name, S stage, std::string kernel) {
    ops.push_back({std::move(name), K::kElementwise, stage, 0, 0, 1, Precision::kBf16, false, std::move(kernel)});
  };
  elementwise("rmsnorm", S::kAttn0, "rmsnorm");
  gemm("q_a+kv_a", S::kAttn0, a.q_lora_rank + a.kv_lora_rank + a.qk_rope_head_dim, h);
  gemm("q_b", S::kAttn0, heads * qk, a.q_lora_rank);
  elementwise("rope+copies", S::kAttn0, "rope_and_qk_copies");
  if (phase == Phase::kPrefill) {
    gemm("kv_b", S::kAttn0, heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank);
    ops.push_back({"attention", K::kPrefillAttention, S::kAttn1, 0, 0, 1, m.precision.attention, false, ""});
  } else {
    // Absorbed MLA: q_nope through W_UK into the latent space before attention, W_UV after it (per head, BF16).
    ops.push_back({"absorb_q", K::kBatchedGemm, S::kAttn0, static_cast<double>(a.kv_lora_rank),
                   static_cast<double>(a.qk_nope_head_dim), heads, Precision::kBf16, false, ""});
    ops.push_back({"attention", K::kDecodeAttention, S::kAttn1, 0, 0, 1, m.precision.attention, false, ""});
    ops.push_back({"absorb_v", K::kBatchedGemm, S::kAttn1, static_cast<double>(a.v_head_dim),
                   static_cast<double>(a.kv_lora_rank), heads, Precision::kBf16, false, ""});
  }
  elementwise("output_casts", S::kAttn1, "attention_output_fp8_casts");
  gemm("o_proj", S::kAttn1, h, static_cast<double>(heads) * a.v_head_dim);
  elementwise("residual+rmsnorm", S::kAttn1, "residual_and_rmsnorm");
}

}  // namespace moesim::llm
