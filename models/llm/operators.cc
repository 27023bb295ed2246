#include "models/llm/operators.h"

#include <algorithm>

namespace moesim::llm {

Operator gemm_op(std::string name, OpStage stage, double n, double k, Precision precision) {
  Operator op{std::move(name), OpKind::kGemm, stage};
  op.n = n;
  op.k = k;
  op.precision = precision;
  return op;
}

void mark_tensor_parallel(std::vector<Operator>& ops, size_t first, std::initializer_list<std::string_view> whole) {
  for (size_t i = first; i < ops.size(); ++i) {
    const auto& n = ops[i].name;
    const bool replicated = std::find(whole.begin(), whole.end(), n) != whole.end();
    ops[i].tp = replicated ? TpSplit::kReplicated : n == "o_proj" ? TpSplit::kRows : TpSplit::kHeads;
  }
}

Operator elementwise_op(std::string name, OpStage stage, double bytes_per_unit, bool per_routed_row,
                        double launches) {
  Operator op{std::move(name), OpKind::kElementwise, stage};
  op.precision = Precision::kBf16;
  op.bytes_per_unit = bytes_per_unit;
  op.per_routed_row = per_routed_row;
  op.launches = launches;
  return op;
}

// Bytes per unit of the memory-bound kernels, from the dimensions: activations in BF16 (2 B) unless cast to FP8 for
// the next GEMM (fp8_activation_bytes). Which kernels are fused follows DeepSeek's profiles
// (shared/reference/deepseek-profile.md); docs/models/cost.md lists each formula.
std::vector<Operator> layer_operators(const ModelSpec& m, Phase phase, bool moe) {
  using K = OpKind;
  using S = OpStage;
  const double h = m.hidden;
  const auto& e = m.moe;
  std::vector<Operator> ops;
  if (m.attention.kind == AttentionKind::kMla) {
    append_mla_attention(m, phase, ops);
  } else {
    append_gqa_attention(m, phase, ops);
  }
  const Precision dense = m.precision.dense;
  // SwiGLU over an FFN of width f: reads gate and up (BF16), writes the input of the down projection (FP8 for FP8
  // weights, else BF16).
  auto swiglu_bytes = [](double f, Precision p) {
    return 2.0 * 2.0 * f + (p == Precision::kFp8 ? fp8_activation_bytes(f) : 2.0 * f);
  };
  if (!moe) {
    ops.push_back(gemm_op("dense_gate_up", S::kMlp, 2.0 * m.dense_ffn, h, dense));
    // Counted in routed rows of expert width (UnitStepModel sets them so for dense layers).
    ops.push_back(elementwise_op("swiglu", S::kMlp, swiglu_bytes(e.expert_ffn, dense), true));
    ops.push_back(gemm_op("dense_down", S::kMlp, h, m.dense_ffn, dense));
    return ops;
  }
  // The gate: scores of every routed expert (a BF16 GEMM), then sigmoid and bias, the group limit, the top-k and
  // the weights' normalisation: about 4 kernels reading and writing FP32 scores (DeepSeek-V3 inference/model.py,
  // Gate.forward).
  Operator router{"router+topk", K::kRouter, S::kAttn1};
  router.n = e.routed_experts;
  router.k = h;
  router.precision = Precision::kBf16;
  router.bytes_per_unit = 3.0 * 4.0 * e.routed_experts;
  router.launches = 4;
  ops.push_back(router);
  if (e.shared_experts > 0) {
    const double f = static_cast<double>(e.expert_ffn) * e.shared_experts;
    // The shared expert's input cast to FP8 (the routed experts' copy is cast inside the dispatch).
    if (dense == Precision::kFp8) {
      ops.push_back(elementwise_op("shared_input_cast", S::kShared, 2.0 * h + fp8_activation_bytes(h)));
    }
    ops.push_back(gemm_op("shared_gate_up", S::kShared, 2.0 * f, h, dense));
    ops.push_back(elementwise_op("shared_swiglu", S::kShared, swiglu_bytes(f, dense)));
    ops.push_back(gemm_op("shared_down", S::kShared, h, f, dense));
  }
  ops.push_back({"dispatch", K::kDispatch, S::kDispatch, 0, 0, 1, Precision::kFp8, true});
  // Decode's low-latency dispatch writes the per-expert (masked) layout itself and its combine reduces: no permute
  // or unpermute kernels there (shared/reference/deepseek-profile.md).
  const bool prefill = phase == Phase::kPrefill;
  // Permute: each routed row's hidden state as dispatched copied into its expert's block.
  if (prefill) ops.push_back(elementwise_op("permute", S::kMlp, 2.0 * m.dispatch_bytes_per_token(), true));
  ops.push_back({"experts_gate_up", K::kGroupedGemm, S::kMlp, 2.0 * e.expert_ffn, h, 1, m.precision.moe, false});
  ops.push_back(elementwise_op("swiglu", S::kMlp, swiglu_bytes(e.expert_ffn, m.precision.moe), true));
  ops.push_back({"experts_down", K::kGroupedGemm, S::kMlp, h, static_cast<double>(e.expert_ffn), 1, m.precision.moe,
                 false});
  // Unpermute: each routed row's BF16 output read once, the weighted sum written once per token.
  if (prefill) {
    ops.push_back(elementwise_op("unpermute", S::kMlp, 2.0 * h + 2.0 * h / e.experts_per_token, true));
  }
  ops.push_back({"combine", K::kCombine, S::kCombine, 0, 0, 1, Precision::kBf16, true});
  return ops;
}

}  // namespace moesim::llm
