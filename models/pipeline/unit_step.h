// UnitStepModel: the step of one unit (prefill EP32 or decode EP144 in DeepSeek's deployment) from per-rank loads.
// Each synchronizing operator is charged at its slowest rank (attention, rank-local GEMMs, dispatch) or its
// most-loaded GPU (routed experts, combine receive); the MoE layers' time is the steady-state period of the overlap
// pipeline (models/pipeline/scheduler.h); the 3 dense layers, the LM head and (decode, MTP on) the MTP module add
// to it. Costs come from models/cost; nothing here knows of queues or metrics.
//
//   moesim::pipeline::UnitStepModel unit(hw, model, {.phase = Phase::kDecode, .ep = 144, .expert_slots = 288});
//   auto r = unit.decode(ranks, /*expert_factor=*/1.0);  // r.step_s, r.layer_s, r.breakdown
#pragma once

#include <span>
#include <string>
#include <vector>

#include "hardware/hardware.h"
#include "models/cost/gemm.h"
#include "models/cost/kernels.h"
#include "models/llm/model.h"
#include "models/pipeline/scheduler.h"

namespace moesim::pipeline {

struct UnitConfig {
  llm::Phase phase = llm::Phase::kDecode;
  int ep = 144;            ///< GPUs of the unit (8 per node)
  bool overlap = true;     ///< dual-batch overlap (prefill) / 5-stage pipeline (decode); false: serial
  bool mtp = true;         ///< decode: verify one MTP draft token per sequence per step
  int expert_slots = 288;  ///< routed-expert slots in the unit (256 + redundant)
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

/// One operator's share of a step: seconds of its resource's busy time summed over the step's layers.
struct OperatorShare {
  std::string name;
  std::string resource;  ///< compute | communication
  double seconds = 0;
};

struct StepResult {
  double step_s = 0;
  double layer_s = 0;                    ///< steady-state period of one MoE layer, both micro-batches
  double dense_layers_s = 0;             ///< the dense layers together
  double head_s = 0;                     ///< LM head (and, decode with MTP, the MTP module)
  std::vector<OperatorShare> breakdown;  ///< filled when asked for
  StageDurations micro_batch;            ///< one micro-batch's stage durations of an MoE layer
};

class UnitStepModel {
 public:
  UnitStepModel(const hardware::Hardware& hw, const llm::ModelSpec& model, UnitConfig config);

  StepResult prefill(std::span<const PrefillRank> ranks, double expert_factor, bool breakdown = false) const;
  StepResult decode(std::span<const DecodeRank> ranks, double expert_factor, bool breakdown = false) const;
  /// Decode step with every rank at `sequences` sequences of `kv_per_sequence` KV tokens.
  double decode_uniform_s(double sequences, double kv_per_sequence, double expert_factor) const;

  /// KV tokens one decode GPU holds beside its weights and a workspace reserve.
  double kv_capacity_tokens() const;
  /// Weight bytes one GPU of this unit holds.
  double weight_bytes_per_gpu() const;
  const UnitConfig& config() const { return config_; }
  int compute_sms() const { return compute_sms_; }
  TemplateKind template_kind() const { return kind_; }
  const cost::KernelModel& kernels() const { return kernels_; }

  /// Workspace, activations and CUDA context per GPU, kept free of KV (assumed; docs/models/cost.md).
  static constexpr double kReserveBytes = 6e9;

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
  StepResult decode_loads(double max_seqs, double max_kv, double total_seqs, double expert_factor,
                          bool breakdown) const;
  // An operator with what its cost needs looked up once.
  struct PreparedOp {
    llm::Operator op;
    Stage stage;
    int series = 0;                                   // GEMMs: the DeepGEMM series that serves (n, k)
    const hardware::ProfileKernel* kernel = nullptr;  // elementwise: the training-profile kernel
    bool per_routed_row = false;
  };
  std::vector<PreparedOp> prepare(const std::vector<llm::Operator>& ops) const;
  double op_seconds(const PreparedOp& op, const MicroBatch& mb, double expert_factor) const;
  StepResult assemble(const MicroBatch& mb, double expert_factor, bool breakdown, const MicroBatch* mtp_mb) const;

  const hardware::Hardware& hw_;
  const llm::ModelSpec& model_;
  UnitConfig config_;
  cost::GemmModel gemm_;
  cost::KernelModel kernels_;
  std::vector<PreparedOp> moe_ops_;
  std::vector<PreparedOp> dense_ops_;
  int mtp_proj_series_ = 0;
  int lm_head_series_ = 0;
  TemplateKind kind_;
  PipelineScheduler scheduler_;
  int micro_batches_;
  int compute_sms_;
  double local_experts_;
};

}  // namespace moesim::pipeline
