// Costs of the non-GEMM operators of DeepSeek-V3 serving: prefill attention (FlashAttention-3 rate from the
// training profile: calibration), FlashMLA decode attention (compute- or bandwidth-bound), DeepEP dispatch and
// combine (normal kernels by bytes over the bottleneck link; low-latency kernels by bytes at the table bandwidth),
// memory-bound elementwise kernels (per token, from the training profile), the disk KV-cache read and the KV
// transfer. Pure functions of their inputs; docs/models/cost.md has the equations and sources.
//
//   moesim::cost::KernelModel k(hw, model);
//   double s = k.decode_attention_s(64, 64 * 4096.0, 2, 132);
#pragma once

#include <string_view>
#include <vector>

#include "hardware/hardware.h"
#include "models/llm/model.h"
#include "models/llm/operators.h"

namespace moesim::cost {

/// Memory-bound kernels (norms, RoPE, casts, SwiGLU, permute, the router's top-k): launches x launch cost + bytes /
/// (HBM bandwidth x efficiency), the bytes from the model's dimensions (llm::Operator::bytes_per_unit). The two
/// constants are fitted (least squares on relative error) to the elementwise kernels of DeepSeek's inference
/// profiles on the tables' GPU; another kind keeps the launch cost and scales with its HBM bandwidth.
struct MemoryBoundForm {
  double launch_s = 0;
  double hbm_efficiency = 0;
  int points = 0;
  double rms_error = 0;  ///< relative, over the points fitted
};
MemoryBoundForm fit_memory_bound_form(const hardware::Hardware& hw, const llm::ModelSpec& model);
/// The layer operators a profile row names, looked up in the model's operators for its phase (MoE layer); an
/// InputError names the row when one is unknown.
std::vector<llm::Operator> profile_row_operators(const hardware::ProfileMeasurement& row,
                                                 const llm::ModelSpec& model);

/// Sending `tokens` tokens of KV from a prefill GPU of node `from` to a decode GPU of node `to` (one NIC each): the
/// KV at `kv_model`'s precision (the decode pool's model, which keeps it), over the slower of the two NICs.
double kv_transfer_s(double tokens, const llm::ModelSpec& kv_model, const hardware::NodeSpec& from,
                     const hardware::NodeSpec& to);

/// Attention FLOPs per (query, key) pair in one layer: 2 heads (qk + v) (MLA: nope + rope, v; GQA: 2 x head_dim).
double attention_flops_per_pair(const llm::ModelSpec& model);

class KernelModel {
 public:
  KernelModel(const hardware::Hardware& hw, const llm::ModelSpec& model);

  /// Causal attention of one layer over `pairs` (query, key) token pairs: sum over chunks of new x prior context
  /// + new(new+1)/2. FLOPs = 2 heads (qk + v) pairs at the FlashAttention-3 rate of the training profile, scaled by
  /// SMs.
  double prefill_attention_s(double pairs, int sms) const;
  /// FlashMLA over `kv_tokens` cached tokens (summed over the rank's sequences) with `query_per_seq` query tokens
  /// per sequence (1, or 2 with MTP): max(FLOPs at the compute-bound rate, KV bytes at the memory-bound rate).
  /// `head_share` of the heads (tensor-parallel attention: 1 / the group) reading `kv_share` of each token's KV.
  double decode_attention_s(double sequences, double kv_tokens, int query_per_seq, int sms, double head_share = 1.0,
                            double kv_share = 1.0) const;
  /// Prefill pairs averaged over the layers: sliding-window layers see at most `tokens` x window of them.
  double windowed_pairs(double pairs, double tokens) const;
  /// Normal (prefill) dispatch or combine of `tokens` tokens from one rank in a unit of `ep` GPUs, the busiest
  /// receiver carrying `receive_factor` times the mean.
  double normal_dispatch_s(double tokens, int ep, double receive_factor) const;
  double normal_combine_s(double tokens, int ep, double receive_factor) const;
  /// Low-latency (decode) dispatch and combine: the busier of the rank's send and the busiest GPU's receive, at
  /// the table bandwidth for `ep`.
  double low_latency_dispatch_s(double tokens, int ep, double receive_factor) const;
  double low_latency_combine_s(double tokens, int ep, double receive_factor) const;
  /// A memory-bound kernel over `units` tokens (or routed rows): its launches and bytes (memory_bound()).
  double elementwise_s(const llm::Operator& op, double units) const;
  /// `bytes` in `launches` memory-bound kernels.
  double memory_bound_s(double bytes, double launches) const;
  const MemoryBoundForm& memory_bound() const { return memory_; }
  /// Reading `tokens` cached tokens from the disk cache into one node.
  double kv_load_s(double tokens) const;
  /// Expected number of other nodes a token's experts reach (group-limited routing, groups spread evenly).
  double remote_nodes_per_token(int nodes) const;

  /// The floor of any kernel's time: launch and tail (assumed, docs/models/cost.md). The cost functions return
  /// the kernel's own time; the step model applies the floor after the in-situ efficiency.
  static constexpr double kKernelFloorS = 3e-6;
  /// The floor of a low-latency all-to-all (assumed: one RDMA round trip plus signalling).
  static constexpr double kLowLatencyFloorS = 15e-6;

 private:
  double normal_bandwidth(int ep, bool dispatch) const;
  double normal_all_to_all_s(double tokens, int ep, double receive_factor, bool dispatch) const;
  double low_latency_all_to_all_s(double tokens, int ep, double receive_factor, bool dispatch) const;
  double low_latency_seconds_per_token(int ep, bool dispatch) const;
  double low_latency_table_seconds_per_token(int ep, bool dispatch) const;
  static constexpr double kLowLatencyTableTokens = 128;  // tokens per rank in DeepEP's low-latency table

  const hardware::Hardware& hw_;
  const llm::ModelSpec& model_;
  std::vector<hardware::DeepEpNormalRow> internode_;  // the normal table's internode rows, by EP
  MemoryBoundForm memory_;
  double attention_speedup_ = 1;                      // the attention precision's peak over BF16's
  double fa3_flops_per_sm_;                           // calibrated on the training profile's FlashAttention-3 row
  double attention_flops_per_pair_;
  double full_layer_share_ = 1;                       // layers attending to all context (the rest: a sliding window)
};

}  // namespace moesim::cost
