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
  const double heads = m.attention.heads;
  const double h = m.hidden;
  const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
  const double rope = a.qk_rope_head_dim;
  const Precision dense = m.precision.dense;
  // RMSNorm of the hidden state: read and write it in BF16.
  const size_t first = ops.size();
  ops.push_back(elementwise_op("rmsnorm", S::kAttn0, 4.0 * h));
  ops.push_back(gemm_op("q_a+kv_a", S::kAttn0, a.q_lora_rank + a.kv_lora_rank + a.qk_rope_head_dim, h, dense));
  ops.push_back(gemm_op("q_b", S::kAttn0, heads * qk, a.q_lora_rank, dense));
  // RoPE on every head's query rope part and the shared key rope part, in place (read and write, BF16); prefill
  // also copies the rotated key part into every head's key.
  const double rotate = 2.0 * 2.0 * (heads * rope + rope);
  if (phase == Phase::kPrefill) {
    ops.push_back(elementwise_op("rope+copies", S::kAttn0, rotate + 2.0 * heads * rope));
    ops.push_back(gemm_op("kv_b", S::kAttn0, heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, dense));
    ops.push_back({"attention", K::kPrefillAttention, S::kAttn1, 0, 0, 1, m.precision.attention, false});
  } else {
    ops.push_back(elementwise_op("rope+copies", S::kAttn0, rotate));
    // Absorbed MLA: q_nope through W_UK into the latent space before attention, W_UV after it (per head, BF16).
    ops.push_back({"absorb_q", K::kBatchedGemm, S::kAttn0, static_cast<double>(a.kv_lora_rank),
                   static_cast<double>(a.qk_nope_head_dim), static_cast<int>(heads), Precision::kBf16, false});
    ops.push_back({"attention", K::kDecodeAttention, S::kAttn1, 0, 0, 1, m.precision.attention, false});
    ops.push_back({"absorb_v", K::kBatchedGemm, S::kAttn1, static_cast<double>(a.v_head_dim),
                   static_cast<double>(a.kv_lora_rank), static_cast<int>(heads), Precision::kBf16, false});
  }
  // The attention output (heads x v, BF16) cast to FP8 for the output projection.
  const double out = heads * a.v_head_dim;
  ops.push_back(elementwise_op("output_casts", S::kAttn1, 2.0 * out + fp8_activation_bytes(out)));
  ops.push_back(gemm_op("o_proj", S::kAttn1, h, out, dense));
  // Residual add and the FFN's RMSNorm: read the residual and the attention output, write both.
  ops.push_back(elementwise_op("residual+rmsnorm", S::kAttn1, 8.0 * h));
  // Tensor-parallel attention: the down projections and the norms are not split by heads (the latent is shared by
  // all heads); the rest is, the output projection by rows.
  mark_tensor_parallel(ops, first, {"rmsnorm", "q_a+kv_a", "residual+rmsnorm"});
}

}  // namespace moesim::llm
