// ModelSpec: DeepSeek-V3's architecture (models/llm/deepseek-v3.json) and the operators of one layer for prefill and
// decode, each with its shape, precision, the resource it uses and the pipeline stage it belongs to.
//
//   auto m = moesim::llm::load_model(moesim::data_path("models/llm/deepseek-v3.json"));
//   for (const auto& op : moesim::llm::layer_operators(m, moesim::llm::Phase::kDecode, true)) { ... }
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace moesim::llm {

struct ModelSpec {
  std::string name;
  int hidden = 0;
  int layers = 0;
  int dense_layers = 0;
  int dense_ffn = 0;
  int routed_experts = 0;
  int experts_per_token = 0;
  int expert_groups = 0;
  int groups_per_token = 0;
  int shared_experts = 0;
  int expert_ffn = 0;
  int heads = 0;
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  int vocab = 0;
  int mtp_modules = 0;
  double mtp_acceptance = 0;
  double weight_bytes_per_param = 1;
  double kv_bytes_per_token_per_layer = 0;

  int moe_layers() const { return layers - dense_layers; }
  /// KV bytes of one token over all layers (70,272 for V3).
  double kv_bytes_per_token() const { return kv_bytes_per_token_per_layer * layers; }
  /// Bytes of one token's hidden state in FP8 dispatch (values + one FP32 scale per 128).
  double dispatch_bytes_per_token() const { return hidden + hidden / 128 * 4.0; }
  /// Bytes of one token's hidden state in BF16 combine.
  double combine_bytes_per_token() const { return 2.0 * hidden; }
  /// Weight bytes one GPU holds in a unit of `gpus` GPUs with `expert_slots` routed-expert slots in all: its
  /// routed experts, plus the attention, shared expert, dense layers, embedding, LM head and MTP module, which
  /// every data-parallel rank holds in full.
  double weight_bytes_per_gpu(int gpus, int expert_slots) const;
};

/// Loads and checks a model description; errors name the file and field.
ModelSpec load_model(const std::filesystem::path& file);

enum class Phase { kPrefill, kDecode };
enum class OpKind {
  kGemm,              ///< FP8 dense GEMM: rows = tokens x rows_per_token
  kBatchedGemm,       ///< BF16 per-head GEMMs (decode absorption): `batch` GEMMs of rows x n x k
  kGroupedGemm,       ///< FP8 grouped GEMM over the GPU's local experts (routed rows)
  kPrefillAttention,  ///< causal attention, FlashAttention-style, over context
  kDecodeAttention,   ///< FlashMLA over the KV cache
  kDispatch,
  kCombine,
  kElementwise,  ///< memory-bound kernels, per token or per routed row, costed from the training profile
};
/// The pipeline stage an operator belongs to (models/pipeline/stage.h uses the same names).
enum class OpStage { kAttn0, kAttn1, kShared, kDispatch, kMlp, kCombine };

struct Operator {
  std::string name;
  OpKind kind;
  OpStage stage;
  double n = 0;                ///< GEMM output columns
  double k = 0;                ///< GEMM reduction
  int batch = 1;               ///< kBatchedGemm: GEMMs per row block (heads)
  std::string precision;       ///< fp8 | bf16
  bool communication = false;  ///< runs on the communication resource
  std::string profile_kernel;  ///< kElementwise: the training-profile kernel it is costed from
};

/// The operators of one layer (MoE or dense) in `phase`, in execution order within a micro-batch. In prefill,
/// ATTN-0 and ATTN-1 together form DeepSeek's ATTN stage.
std::vector<Operator> layer_operators(const ModelSpec& m, Phase phase, bool moe);

}  // namespace moesim::llm
