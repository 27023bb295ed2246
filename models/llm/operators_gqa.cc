// Grouped-query attention (multi-head attention when kv_heads == heads): one fused projection of the hidden state to
// queries, keys and values, an optional RMSNorm over each query and key head (Qwen3's qk_norm), RoPE on queries and
// keys, causal attention over the context (prefill, FlashAttention-style) or over the KV cache (decode), and the
// output projection. Layers with a sliding window attend to at most `sliding_window` tokens back (gpt-oss: every
// other layer); the attention operators' cost takes the window into account (models/cost/kernels.h).
#include "models/llm/operators.h"

namespace moesim::llm {

void append_gqa_attention(const ModelSpec& m, Phase phase, std::vector<Operator>& ops) {
  using K = OpKind;
  using S = OpStage;
  const auto& g = m.attention.gqa;
  const double heads = m.attention.heads;
  const double kv_heads = g.kv_heads;
  const double d = g.head_dim;
  const double h = m.hidden;
  const Precision dense = m.precision.dense;
  // RMSNorm of the hidden state: read and write it in BF16.
  const size_t first = ops.size();
  ops.push_back(elementwise_op("rmsnorm", S::kAttn0, 4.0 * h));
  ops.push_back(gemm_op("qkv", S::kAttn0, (heads + 2.0 * kv_heads) * d, h, dense));
  // Per-head RMSNorm of queries and keys (read and write, BF16), then RoPE on both in place.
  const double qk_bytes = 2.0 * 2.0 * (heads + kv_heads) * d;
  if (g.qk_norm) ops.push_back(elementwise_op("qk_norm", S::kAttn0, qk_bytes));
  ops.push_back(elementwise_op("rope", S::kAttn0, qk_bytes));
  ops.push_back({"attention", phase == Phase::kPrefill ? K::kPrefillAttention : K::kDecodeAttention, S::kAttn1, 0, 0,
                 1, m.precision.attention, false});
  const double out = heads * d;
  if (dense == Precision::kFp8) ops.push_back(elementwise_op("output_casts", S::kAttn1, 2.0 * out + fp8_activation_bytes(out)));
  ops.push_back(gemm_op("o_proj", S::kAttn1, h, out, dense));
  ops.push_back(elementwise_op("residual+rmsnorm", S::kAttn1, 8.0 * h));
  // Tensor-parallel attention: heads (and their KV heads) divide among the group; the output projection by rows;
  // the norms of the hidden state are done whole on every GPU.
  mark_tensor_parallel(ops, first, {"rmsnorm", "residual+rmsnorm"});
}

}  // namespace moesim::llm
