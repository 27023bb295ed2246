#include "models/llm/operators.h"

namespace moesim::llm {

std::vector<Operator> layer_operators(const ModelSpec& m, Phase phase, bool moe) {
  using K = OpKind;
  using S = OpStage;
  const double h = m.hidden;
  const auto& e = m.moe;
  std::vector<Operator> ops;
  append_mla_attention(m, phase, ops);
  const Precision dense = m.precision.dense;
  auto gemm = [&](std::string name, S stage, double n, double k) {
    ops.push_back({std::move(name), K::kGemm, stage, n, k, 1, dense, false, ""});
  };
  auto elementwise = [&](std::string name, S stage, std::string kernel) {
    ops.push_back({std::move(name), K::kElementwise, stage, 0, 0, 1, Precision::kBf16, false, std::move(kernel)});
  };
  if (!moe) {
    gemm("dense_gate_up", S::kMlp, 2.0 * m.dense_ffn, h);
    elementwise("swiglu", S::kMlp, "swiglu_fp8_cast");
    gemm("dense_down", S::kMlp, h, m.dense_ffn);
    return ops;
  }
  elementwise("router+topk", S::kAttn1, "router_and_topk");
  gemm("shared_gate_up", S::kShared, 2.0 * e.expert_ffn * e.shared_experts, h);
  gemm("shared_down", S::kShared, h, static_cast<double>(e.expert_ffn) * e.shared_experts);
  ops.push_back({"dispatch", K::kDispatch, S::kDispatch, 0, 0, 1, Precision::kFp8, true, ""});
  // Decode's low-latency dispatch writes the per-expert (masked) layout itself and its combine reduces: no permute
  // or unpermute kernels there (shared/reference/deepseek-profile.md).
  const bool prefill = phase == Phase::kPrefill;
  if (prefill) elementwise("permute", S::kMlp, "permute");
  ops.push_back({"experts_gate_up", K::kGroupedGemm, S::kMlp, 2.0 * e.expert_ffn, h, 1, m.precision.moe, false, ""});
  elementwise("swiglu", S::kMlp, "swiglu_fp8_cast");
  ops.push_back({"experts_down", K::kGroupedGemm, S::kMlp, h, static_cast<double>(e.expert_ffn), 1, m.precision.moe,
                 false, ""});
  if (prefill) elementwise("unpermute", S::kMlp, "unpermute_weighted_sum");
  ops.push_back({"combine", K::kCombine, S::kCombine, 0, 0, 1, Precision::kBf16, true, ""});
  return ops;
}

}  // namespace moesim::llm
