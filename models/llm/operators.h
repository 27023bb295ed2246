// The operators of one decoder layer for prefill and decode, derived from a ModelSpec: each with its shape, its
// precision and the pipeline stage it belongs to. Code per attention kind (operators_mla.cc, ...), none per model;
// the FFN side (dense FFN, or shared and routed experts with their all-to-all) is the same for every kind.
//
//   auto m = moesim::llm::load_model("deepseek-v3");
//   for (const auto& op : moesim::llm::layer_operators(m, moesim::llm::Phase::kDecode, true)) { ... }
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "models/llm/model.h"

namespace moesim::llm {

enum class Phase { kPrefill, kDecode };
enum class OpKind {
  kGemm,              ///< dense GEMM: rows = tokens x rows_per_token
  kBatchedGemm,       ///< per-head GEMMs (decode absorption): `batch` GEMMs of rows x n x k
  kGroupedGemm,       ///< grouped GEMM over the GPU's local experts (routed rows)
  kPrefillAttention,  ///< causal attention, FlashAttention-style, over context
  kDecodeAttention,   ///< attention of the new tokens over the KV cache
  kDispatch,
  kCombine,
  kElementwise,  ///< memory-bound kernels, per token or per routed row
  kRouter,       ///< the gate: a GEMM of tokens x routed experts x hidden, then its top-k (memory-bound kernels)
};
/// How an attention-block operator divides among the GPUs of a tensor-parallel attention group (each GPU then sees
/// the group's tokens): by heads (column-parallel GEMMs, per-head GEMMs and kernels: the same work per GPU as data
/// parallel), by rows (the row-parallel output projection), or not at all (norms and MLA's down projections: every
/// GPU does the group's whole work). kNone: not in the attention block (the FFN side is expert-parallel).
enum class TpSplit { kNone, kHeads, kRows, kReplicated };

/// The pipeline stage an operator belongs to (models/pipeline/stage.h uses the same names).
enum class OpStage { kAttn0, kAttn1, kShared, kDispatch, kMlp, kCombine };

struct Operator {
  std::string name;
  OpKind kind;
  OpStage stage;
  double n = 0;                ///< GEMM output columns
  double k = 0;                ///< GEMM reduction
  int batch = 1;               ///< kBatchedGemm: GEMMs per row block (heads)
  Precision precision = Precision::kFp8;
  bool communication = false;  ///< runs on the communication resource
  double bytes_per_unit = 0;   ///< kElementwise (kRouter: its top-k): HBM bytes read and written per unit
  double launches = 0;         ///< kElementwise (kRouter: its top-k): kernels launched
  bool per_routed_row = false; ///< kElementwise: units are the routed rows a GPU computes, else its tokens
  TpSplit tp = TpSplit::kNone;  ///< attention-block operators: how tensor-parallel attention divides them
};

/// Bytes of `elements` activations in FP8 with one FP32 scale per 128 (DeepSeek's 1 x 128 activation scaling).
inline double fp8_activation_bytes(double elements) { return elements + elements / 128.0 * 4.0; }

/// The operators of one layer (MoE or dense) in `phase`, in execution order within a micro-batch. In prefill,
/// ATTN-0 and ATTN-1 together form DeepSeek's ATTN stage.
std::vector<Operator> layer_operators(const ModelSpec& m, Phase phase, bool moe);

/// Appends the attention block's operators of an MLA model, from the input norm to the output projection.
void append_mla_attention(const ModelSpec& m, Phase phase, std::vector<Operator>& ops);

/// Appends the attention block's operators of a GQA (or MHA) model.
void append_gqa_attention(const ModelSpec& m, Phase phase, std::vector<Operator>& ops);

/// Marks the attention block's operators ops[first..] for tensor-parallel attention: those named in `whole` are done
/// whole on every GPU of the group, the output projection ("o_proj") by rows, the rest by heads.
void mark_tensor_parallel(std::vector<Operator>& ops, size_t first, std::initializer_list<std::string_view> whole);

/// Operator builders shared by the attention kinds' files.
Operator gemm_op(std::string name, OpStage stage, double n, double k, Precision precision);
/// A memory-bound kernel moving `bytes_per_unit` per token (or per routed row) in `launches` kernels.
Operator elementwise_op(std::string name, OpStage stage, double bytes_per_unit, bool per_routed_row = false,
                        double launches = 1);

}  // namespace moesim::llm
