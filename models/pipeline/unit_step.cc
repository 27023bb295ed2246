#include "models/pipeline/unit_step.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace moesim::pipeline {

namespace {

Stage stage_of(llm::OpStage s, llm::Phase phase) {
  switch (s) {
    case llm::OpStage::kAttn0:
      return phase == llm::Phase::kPrefill ? Stage::kAttn : Stage::kAttn0;
    case llm::OpStage::kAttn1:
      return phase == llm::Phase::kPrefill ? Stage::kAttn : Stage::kAttn1;
    case llm::OpStage::kShared:
      return Stage::kShared;
    case llm::OpStage::kDispatch:
      return Stage::kDispatch;
    case llm::OpStage::kMlp:
      return Stage::kMlp;
    case llm::OpStage::kCombine:
      return Stage::kCombine;
  }
  return Stage::kMlp;
}

}  // namespace

UnitStepModel::UnitStepModel(const hardware::Hardware& hw, const llm::ModelSpec& model, UnitConfig config)
    : hw_(hw),
      model_(model),
      config_(config),
      gemm_(hw),
      kernels_(hw, model),
      kind_(template_for(config.phase == llm::Phase::kPrefill ? Phase::kPrefill : Phase::kDecode, config.overlap)),
      scheduler_(kind_),
      micro_batches_(config.overlap ? 2 : 1),
      // Prefill's normal all-to-all kernels hold SMs while in flight: with overlap, compute keeps the rest
      // (DeepSeek's prefill profile: 108 of 132). Decode's low-latency kernels hold none.
      compute_sms_(config.phase == llm::Phase::kPrefill && config.overlap ? hw.gpu.sms - hw.deepep.normal_kernel_sms
                                                                          : hw.gpu.sms),
      local_experts_(static_cast<double>(config.expert_slots) / config.ep) {
  moe_ops_ = prepare(llm::layer_operators(model, config.phase, true));
  dense_ops_ = prepare(llm::layer_operators(model, config.phase, false));
  mtp_proj_series_ = gemm_.series_index(model.hidden, 2.0 * model.hidden);
  lm_head_series_ = gemm_.series_index(model.vocab, model.hidden);
}

std::vector<UnitStepModel::PreparedOp> UnitStepModel::prepare(const std::vector<llm::Operator>& ops) const {
  std::vector<PreparedOp> out;
  for (const auto& op : ops) {
    PreparedOp p{op, stage_of(op.stage, config_.phase)};
    if (op.kind == llm::OpKind::kGemm) p.series = gemm_.series_index(op.n, op.k);
    if (op.kind == llm::OpKind::kBatchedGemm) p.series = gemm_.series_index(op.batch * op.n, op.k);
    if (op.kind == llm::OpKind::kElementwise) {
      p.kernel = &hw_.profile.kernel(op.profile_kernel);
      p.per_routed_row = p.kernel->per == "routed_row";
    }
    out.push_back(std::move(p));
  }
  return out;
}

double UnitStepModel::op_seconds(const PreparedOp& prepared, const MicroBatch& mb, double expert_factor) const {
  using K = llm::OpKind;
  const auto& op = prepared.op;
  int sms = compute_sms_;
  bool prefill = config_.phase == llm::Phase::kPrefill;
  switch (op.kind) {
    case K::kGemm:
      return std::max(gemm_.dense_s(prepared.series, mb.tokens, op.n, op.k, sms),
                      mb.tokens > 0 ? cost::KernelModel::kKernelFloorS : 0);
    case K::kBatchedGemm:
      // Per-head GEMMs of the same shape: as many FLOPs and weight bytes as one GEMM `batch` times wider.
      return gemm_.bf16_s(prepared.series, mb.tokens, op.batch * op.n, op.k, sms) +
             (mb.tokens > 0 ? cost::KernelModel::kKernelFloorS : 0);
    case K::kGroupedGemm: {
      double m = mb.routed_rows / local_experts_;
      auto layout = prefill ? cost::GemmLayout::kContiguous : cost::GemmLayout::kMasked;
      return gemm_.grouped_s(layout, local_experts_, m, op.n, op.k, sms);
    }
    case K::kPrefillAttention:
      return kernels_.prefill_attention_s(mb.pairs, sms);
    case K::kDecodeAttention:
      return kernels_.decode_attention_s(mb.sequences, mb.kv_tokens, config_.mtp ? 2 : 1, sms);
    case K::kDispatch:
      return prefill ? kernels_.normal_dispatch_s(mb.tokens, config_.ep, expert_factor)
                     : kernels_.low_latency_dispatch_s(mb.tokens, config_.ep, expert_factor);
    case K::kCombine:
      return prefill ? kernels_.normal_combine_s(mb.tokens, config_.ep, expert_factor)
                     : kernels_.low_latency_combine_s(mb.tokens, config_.ep, expert_factor);
    case K::kElementwise:
      // Per-routed-row kernels (permute, SwiGLU, unpermute); in a dense layer the SwiGLU runs over the dense FFN,
      // counted in expert widths (assemble() sets routed_rows so).
      return kernels_.elementwise_s(*prepared.kernel, prepared.per_routed_row ? mb.routed_rows : mb.tokens);
  }
  return 0.0;
}

StepResult UnitStepModel::assemble(const MicroBatch& mb, double expert_factor, bool breakdown,
                                   const MicroBatch* mtp_mb) const {
  StepResult r;
  // One MoE layer: stage durations per micro-batch (the micro-batches split each rank's load evenly).
  std::array<StageDurations, 2> stages{};
  std::vector<double> op_time(moe_ops_.size());
  for (size_t i = 0; i < moe_ops_.size(); ++i) {
    op_time[i] = op_seconds(moe_ops_[i], mb, expert_factor);
    stages[0][moe_ops_[i].stage] += op_time[i];
  }
  stages[1] = stages[0];
  auto span = std::span<const StageDurations>(stages.data(), static_cast<size_t>(micro_batches_));
  r.layer_s = scheduler_.layer_period_seconds(span);
  r.micro_batch = stages[0];

  // Dense layers: no all-to-all; the micro-batches' computation runs back to back.
  MicroBatch dense_mb = mb;
  dense_mb.routed_rows = mb.tokens * model_.dense_ffn / model_.expert_ffn;  // SwiGLU width in expert units
  double dense_layer = 0;
  std::vector<double> dense_time(dense_ops_.size());
  for (size_t i = 0; i < dense_ops_.size(); ++i) {
    dense_time[i] = op_seconds(dense_ops_[i], dense_mb, 1.0) * micro_batches_;
    dense_layer += dense_time[i];
  }
  r.dense_layers_s = dense_layer * model_.dense_layers;

  // LM head over the rows that need logits, BF16.
  double head =
      gemm_.bf16_s(lm_head_series_, mb.heads_rows * micro_batches_, model_.vocab, model_.hidden, compute_sms_);
  double mtp = 0.0;
  if (mtp_mb != nullptr) {
    // The MTP module: its 2h -> h projection, one MoE layer over one token per sequence, and the LM head again.
    std::array<StageDurations, 2> mtp_stages{};
    for (const auto& op : moe_ops_) mtp_stages[0][op.stage] += op_seconds(op, *mtp_mb, expert_factor);
    mtp_stages[1] = mtp_stages[0];
    auto mtp_span = std::span<const StageDurations>(mtp_stages.data(), static_cast<size_t>(micro_batches_));
    mtp = scheduler_.layer_period_seconds(mtp_span) +
          micro_batches_ *
              gemm_.dense_s(mtp_proj_series_, mtp_mb->tokens, model_.hidden, 2.0 * model_.hidden, compute_sms_) +
          gemm_.bf16_s(lm_head_series_, mtp_mb->heads_rows * micro_batches_, model_.vocab, model_.hidden, compute_sms_);
  }
  r.head_s = head + mtp;
  r.step_s = model_.moe_layers() * r.layer_s + r.dense_layers_s + r.head_s;

  if (breakdown) {
    for (size_t i = 0; i < moe_ops_.size(); ++i) {
      r.breakdown.push_back({moe_ops_[i].op.name, moe_ops_[i].op.communication ? "communication" : "compute",
                             op_time[i] * micro_batches_ * model_.moe_layers()});
    }
    for (size_t i = 0; i < dense_ops_.size(); ++i) {
      r.breakdown.push_back({"dense:" + dense_ops_[i].op.name, "compute", dense_time[i] * model_.dense_layers});
    }
    r.breakdown.push_back({"lm_head", "compute", head});
    if (mtp_mb != nullptr) r.breakdown.push_back({"mtp_module", "compute", mtp});
  }
  return r;
}

StepResult UnitStepModel::prefill(std::span<const PrefillRank> ranks, double expert_factor, bool breakdown) const {
  MicroBatch mb;
  double total = 0;
  for (const auto& r : ranks) {
    mb.tokens = std::max(mb.tokens, r.new_tokens);
    mb.pairs = std::max(mb.pairs, r.pairs);
    mb.heads_rows = std::max(mb.heads_rows, r.sequences);
    total += r.new_tokens;
  }
  double mbs = micro_batches_;
  mb.tokens /= mbs;
  mb.pairs /= mbs;
  mb.heads_rows /= mbs;
  // Routed rows on the most-loaded GPU: the unit's tokens x top-k spread over its GPUs, times the expert factor.
  mb.routed_rows = total / mbs * model_.experts_per_token / config_.ep * expert_factor;
  return assemble(mb, expert_factor, breakdown, nullptr);
}

StepResult UnitStepModel::decode(std::span<const DecodeRank> ranks, double expert_factor, bool breakdown) const {
  double max_seqs = 0, max_kv = 0, total = 0;
  for (const auto& r : ranks) {
    max_seqs = std::max(max_seqs, r.sequences);
    max_kv = std::max(max_kv, r.kv_tokens);
    total += r.sequences;
  }
  return decode_loads(max_seqs, max_kv, total, expert_factor, breakdown);
}

StepResult UnitStepModel::decode_loads(double max_seqs, double max_kv, double total, double expert_factor,
                                       bool breakdown) const {
  MicroBatch mb;
  mb.sequences = max_seqs;
  mb.kv_tokens = max_kv;
  double q = config_.mtp ? 2.0 : 1.0;
  double mbs = micro_batches_;
  mb.sequences /= mbs;
  mb.kv_tokens /= mbs;
  mb.tokens = mb.sequences * q;
  mb.heads_rows = mb.tokens;
  mb.routed_rows = total * q / mbs * model_.experts_per_token / config_.ep * expert_factor;
  if (!config_.mtp) return assemble(mb, expert_factor, breakdown, nullptr);
  MicroBatch mtp = mb;  // the MTP module sees one token per sequence
  mtp.tokens = mb.sequences;
  mtp.heads_rows = mb.sequences;
  mtp.routed_rows = mb.routed_rows / q;
  return assemble(mb, expert_factor, breakdown, &mtp);
}

double UnitStepModel::decode_uniform_s(double sequences, double kv_per_sequence, double expert_factor) const {
  return decode_loads(sequences, sequences * kv_per_sequence, sequences * config_.ep, expert_factor, false).step_s;
}

double UnitStepModel::weight_bytes_per_gpu() const {
  return model_.weight_bytes_per_gpu(config_.ep, config_.expert_slots);
}

double UnitStepModel::kv_capacity_tokens() const {
  double free = hw_.gpu.hbm_bytes - weight_bytes_per_gpu() - kReserveBytes;
  return std::max(0.0, free / model_.kv_bytes_per_token());
}

}  // namespace moesim::pipeline
