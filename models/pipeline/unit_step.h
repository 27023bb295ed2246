// UnitStepModel: the step of one unit (prefill EP32 or decode EP144 in DeepSeek's deployment) from per-rank loads.
// Rank-local operators (attention, GEMMs, elementwise) are charged at the slowest rank; the routed experts, the
// dispatch's flight and receive, and the combine's flight at the most-loaded GPU (the expert factor from the EPLB
// model). Kernel times are the base tables' times divided by the in-situ efficiency of their family
// (models/cost/in_situ.h). The MoE layers' time is the critical cycle of the overlap pipeline's steady state
// (models/pipeline/scheduler.h); the 3 dense layers, the LM head and (decode, MTP on) the MTP module add to it, and
// in decode the per-step work outside the CUDA graph and the rank start skew. Costs come from models/cost; nothing
// here knows of queues or metrics.
//
//   moesim::pipeline::UnitStepModel unit(hw, model, {.phase = Phase::kDecode, .ep = 144, .expert_slots = 288});
//   auto r = unit.decode(ranks, /*expert_factor=*/1.0);  // r.step_s, r.layer_s, r.breakdown
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "hardware/hardware.h"
#include "models/cost/gemm.h"
#include "models/cost/in_situ.h"
#include "models/cost/kernels.h"
#include "models/llm/model.h"
#include "models/llm/operators.h"
#include "models/pipeline/scheduler.h"

namespace moesim::pipeline {

struct UnitConfig {
  llm::Phase phase = llm::Phase::kDecode;
  int ep = 0;            ///< GPUs of the unit (llm::UnitGeometry::gpus)
  bool overlap = true;   ///< dual-batch overlap (prefill) / 5-stage pipeline (decode); false: serial
  bool mtp = true;       ///< decode: verify one MTP draft token per sequence per step (where the model has MTP)
  int expert_slots = 0;  ///< routed-expert slots in the unit (llm::UnitGeometry::expert_slots)
  /// GPUs of one tensor-parallel attention group (1: data-parallel attention, as DeepSeek): each GPU of the group
  /// runs its share of the heads over the group's tokens, the output projection ends in an all-reduce over NVLink,
  /// and KV heads fewer than the group are replicated (MLA's latent on every GPU). The FFN stays expert-parallel.
  int attention_tp = 1;
  /// Each kernel family's in-situ efficiency times this (1: as fitted): for the sensitivity of a result to an
  /// assumed efficiency (moesim step --efficiency-scale, docs/models/hardware.md).
  std::array<double, cost::kNumKernelFamilies> efficiency_scale = {1, 1, 1, 1, 1, 1, 1, 1};
};

struct PrefillRank {
  double new_tokens = 0;  ///< tokens computed this step (both micro-batches)
  double pairs = 0;       ///< attention (query, key) pairs of those tokens
  double sequences = 0;   ///< prompts whose last token is in this step (LM head rows)
};

struct DecodeRank {
  double sequences = 0;
  double kv_tokens = 0;  ///< summed KV length of its sequences
};

/// What a decode step's time depends on: the busiest rank's sequences and KV tokens, the unit's sequences.
struct DecodeLoads {
  double max_seqs = 0;
  double max_kv = 0;
  double total_seqs = 0;
};

/// One operator's share of a step: seconds of its resource's busy time summed over the step's layers.
struct OperatorShare {
  std::string name;
  std::string resource;  ///< compute | communication
  double seconds = 0;
};

/// One operator of the critical cycle: the chain that sets the MoE layer's period.
struct CriticalOp {
  std::string name;      ///< "MB0 ATTN-1"
  std::string resource;  ///< compute | communication | in flight
  double seconds = 0;    ///< its time on the cycle (clipped to one period)
};

struct StepResult {
  double step_s = 0;          ///< graph + overheads
  double layer_s = 0;         ///< steady-state period of one MoE layer, both micro-batches
  double dense_layers_s = 0;  ///< the dense layers together
  double head_s = 0;          ///< LM head (and, decode with MTP, the MTP module)
  double graph_s = 0;         ///< MoE layers + dense layers + head: what runs on the GPU (decode: the CUDA graph)
  double overheads_s = 0;     ///< per-step terms outside the layer graph (decode: host work, rank start skew)
  std::vector<OperatorShare> overheads;   ///< filled when asked for: each per-step term (resource "host" or
                                          ///< "synchronisation")
  std::vector<OperatorShare> breakdown;   ///< filled when asked for
  std::vector<CriticalOp> critical_path;  ///< filled when asked for: the MoE layer's critical cycle in order
  StageDurations micro_batch;             ///< one micro-batch's stage durations of an MoE layer
  StageOperators micro_batch_operators;   ///< filled when asked for: the operators inside each stage
};

/// The kernel family an operator's cost is calibrated in (its in-situ efficiency); dispatch and combine, priced from
/// DeepEP's tables, answer kDenseGemm and are not scaled.
cost::KernelFamily kernel_family(const llm::Operator& op, llm::Phase phase);

/// What one GPU of a unit holds against what it may use: the one memory check of step, run, sweep and plan.
struct MemoryFit {
  double weights_bytes = 0;     ///< its share of the weights (UnitStepModel::weight_bytes_per_gpu)
  double activation_bytes = 0;  ///< the step's live activations
  double kv_bytes = 0;          ///< the KV cache of its sequences
  double available_bytes = 0;   ///< HBM x kUsableHbmFraction
  double needed_bytes() const { return weights_bytes + activation_bytes + kv_bytes; }
  bool fits() const { return needed_bytes() <= available_bytes; }
};

/// The fraction of HBM a serving process fills (assumed: the CUDA context, workspaces, communication buffers and
/// fragmentation take the rest; 7 % is the 6 GB this model reserved on an H800's 85 GB before it was a fraction).
inline constexpr double kUsableHbmFraction = 0.93;

class UnitStepModel {
 public:
  /// Fits its own in-situ efficiencies: cost::fit_in_situ(hw, cost::profile_model()).
  UnitStepModel(const hardware::Hardware& hw, const llm::ModelSpec& model, UnitConfig config);
  /// Prices with `fit`, which must be cost::fit_in_situ(hw, cost::profile_model()): a run fits once and hands the fit
  /// to the unit models of both pools (the fit depends on the hardware's tables and profiles only).
  UnitStepModel(const hardware::Hardware& hw, const llm::ModelSpec& model, UnitConfig config, cost::InSituFit fit);

  StepResult prefill(std::span<const PrefillRank> ranks, double expert_factor, bool breakdown = false) const;
  StepResult decode(std::span<const DecodeRank> ranks, double expert_factor, bool breakdown = false) const;
  /// The decode step from the loads that set it (what decode() reduces its ranks to).
  StepResult decode_loads(const DecodeLoads& loads, double expert_factor, bool breakdown = false) const;
  /// The loads of a decode step where every rank holds `sequences` sequences of `kv_per_sequence` KV tokens.
  DecodeLoads uniform_decode_loads(double sequences, double kv_per_sequence) const {
    return {sequences, sequences * kv_per_sequence, sequences * config_.ep};
  }

  /// KV tokens one decode GPU holds beside its weights (memory_fit with no step in flight).
  double kv_capacity_tokens() const;
  /// KV bytes one GPU holds per token of its own sequences, over the layers: the model's, times what tensor-parallel
  /// attention replicates (1 for data-parallel attention).
  double kv_bytes_per_own_token() const;
  /// One GPU's memory with `kv_tokens` of KV and a step of `step_tokens` tokens (all micro-batches) in flight.
  MemoryFit memory_fit(double kv_tokens, double step_tokens) const;
  /// Throws an InputError starting with `what` when `fit` does not fit, with the figures: needed (weights,
  /// activations, KV) and available, in GB.
  void require_fit(const MemoryFit& fit, std::string_view what) const;
  /// Weight bytes one GPU of this unit holds.
  double weight_bytes_per_gpu() const;
  const UnitConfig& config() const { return config_; }
  int compute_sms() const { return compute_sms_; }
  TemplateKind template_kind() const { return kind_; }
  const cost::KernelModel& kernels() const { return kernels_; }
  /// The in-situ kernel efficiencies this unit prices with.
  const cost::InSituFit& in_situ() const { return fit_; }
  /// The expected wait for the rank that starts a decode step last, charged once per step at its first dispatch:
  /// the profile's one measurement at EP128 scaled by the expected maximum of `ep` normal start offsets.
  double rank_start_skew_s() const { return rank_start_skew_s_; }

 private:
  // Loads of one micro-batch on the slowest rank / GPU.
  struct MicroBatch {
    double tokens = 0;       // tokens on the busiest rank
    double pairs = 0;        // prefill attention pairs on the busiest rank
    double sequences = 0;    // sequences on the busiest rank
    double kv_tokens = 0;    // decode KV on the busiest rank
    double routed_rows = 0;  // routed rows on the most-loaded GPU
    double heads_rows = 0;   // LM head rows on the busiest rank
  };
  // An operator with what its cost needs looked up once.
  struct PreparedOp {
    llm::Operator op;
    Stage stage;
    cost::KernelFamily family = cost::KernelFamily::kDenseGemm;
    cost::PreparedGemm gemm;                    // GEMMs and the router: the shape prepared once
    std::array<std::string, 3> transfer_names;  // decode all-to-all: its send, in-flight and receive operators
  };
  std::vector<PreparedOp> prepare(const std::vector<llm::Operator>& ops) const;
  double op_seconds(const PreparedOp& op, const MicroBatch& mb, double expert_factor) const;
  // One MoE layer's stage durations for one micro-batch; each operator's time (and name, for breakdowns) added to
  // its stage. Decode's all-to-alls become a send kernel, a flight and a receive kernel.
  StageDurations moe_stages(const MicroBatch& mb, double expert_factor, StageOperators* operators) const;
  StepResult assemble(const MicroBatch& mb, double expert_factor, bool breakdown, const MicroBatch* mtp_mb) const;
  // Tensor-parallel attention's all-reduce of the output projection over the group (0 for data-parallel).
  double attention_allreduce_s(const MicroBatch& mb) const;
  // Of the KV heads' bytes, the share one GPU of a tensor-parallel group reads (1 for data-parallel attention).
  double kv_read_share() const;
  // Time factor of a family's kernels: 1 / in-situ efficiency.
  double slowdown(cost::KernelFamily family) const {
    return 1.0 / (fit_.efficiency(family) * config_.efficiency_scale[static_cast<int>(family)]);
  }

  const hardware::Hardware& hw_;
  const llm::ModelSpec& model_;
  UnitConfig config_;
  cost::GemmModel gemm_;
  cost::KernelModel kernels_;
  cost::InSituFit fit_;
  hardware::ProfileStepTerms terms_;
  double rank_start_skew_s_ = 0;
  std::vector<PreparedOp> moe_ops_;
  std::vector<PreparedOp> dense_ops_;
  cost::PreparedGemm lm_head_;   // BF16, vocab x hidden
  cost::PreparedGemm mtp_proj_;  // the MTP module's 2h -> h projection, in the dense precision
  TemplateKind kind_;
  PipelineScheduler scheduler_;
  int micro_batches_;
  int compute_sms_;
  double local_experts_;
};

}  // namespace moesim::pipeline
