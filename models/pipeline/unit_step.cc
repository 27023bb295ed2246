#include "models/pipeline/unit_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "common/error.h"

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

// Expected maximum of n independent standard normals (Blom's approximation).
double expected_max_of_normals(int n) {
  if (n <= 1) return 0.0;
  const boost::math::normal standard;
  return boost::math::quantile(standard, (n - 0.375) / (n + 0.25));
}

// The rank count the profile's first-dispatch wait was measured at (EP128, deepseek-profile.md).
constexpr int kProfileDecodeRanks = 128;

}  // namespace

cost::KernelFamily kernel_family(const llm::Operator& op, llm::Phase phase) {
  using K = llm::OpKind;
  using F = cost::KernelFamily;
  switch (op.kind) {
    case K::kGemm:
      return F::kDenseGemm;
    case K::kBatchedGemm:
      return F::kBatchedGemm;
    case K::kGroupedGemm:
      return phase == llm::Phase::kPrefill ? F::kGroupedContiguous : F::kGroupedMasked;
    case K::kPrefillAttention:
      return F::kPrefillAttention;
    case K::kDecodeAttention:
      return F::kDecodeAttention;
    case K::kElementwise:
      return F::kElementwise;
    case K::kRouter:
      return F::kRouter;
    case K::kDispatch:
    case K::kCombine:
      break;
  }
  return F::kDenseGemm;  // all-to-alls are priced from DeepEP's tables, not scaled by a family
}

UnitStepModel::UnitStepModel(const hardware::Hardware& hw, const llm::ModelSpec& model, UnitConfig config)
    : UnitStepModel(hw, model, config, cost::fit_in_situ(hw, cost::profile_model())) {}

UnitStepModel::UnitStepModel(const hardware::Hardware& hw, const llm::ModelSpec& model, UnitConfig config,
                             cost::InSituFit fit)
    : hw_(hw),
      model_(model),
      config_([&] {
        config.mtp = config.mtp && model.mtp.modules > 0;  // MTP only where the model has it
        return config;
      }()),
      gemm_(hw),
      kernels_(hw, model),
      fit_(std::move(fit)),
      terms_(hw.inference.step),
      rank_start_skew_s_(terms_.decode_first_dispatch_wait_s * expected_max_of_normals(config.ep) /
                         expected_max_of_normals(kProfileDecodeRanks)),
      kind_(template_for(config.phase == llm::Phase::kPrefill ? Phase::kPrefill : Phase::kDecode, config.overlap)),
      scheduler_(kind_),
      micro_batches_(config.overlap ? 2 : 1),
      // Prefill's normal all-to-all kernels hold SMs while in flight: with overlap, compute keeps the rest
      // (DeepSeek's prefill profile: 108 of 132). Decode's low-latency kernels hold none.
      compute_sms_(config.phase == llm::Phase::kPrefill && config.overlap ? hw.gpu.sms - hw.deepep.normal_kernel_sms
                                                                          : hw.gpu.sms),
      local_experts_(static_cast<double>(config.expert_slots) / config.ep) {
  if (config.attention_tp < 1 || config.ep % config.attention_tp != 0 ||
      model.attention.heads % config.attention_tp != 0) {
    throw InputError(
        fmt::format("unit step: a tensor-parallel attention group of {} GPUs divides neither the unit's {} "
                    "GPUs nor {}'s {} heads",
                    config.attention_tp, config.ep, model.name, model.attention.heads));
  }
  if (config.ep <= 0 || config.expert_slots <= 0) {
    throw InputError(fmt::format("unit step: {} GPUs, {} expert slots (set both from the unit geometry)", config.ep,
                                 config.expert_slots));
  }
  lm_head_ = gemm_.prepare_bf16(model.vocab, model.hidden);
  mtp_proj_ = gemm_.prepare(model.precision.dense, cost::GemmLayout::kDense, model.hidden, 2.0 * model.hidden);
  moe_ops_ = prepare(llm::layer_operators(model, config.phase, true));
  dense_ops_ = prepare(llm::layer_operators(model, config.phase, false));
}

std::vector<UnitStepModel::PreparedOp> UnitStepModel::prepare(const std::vector<llm::Operator>& ops) const {
  std::vector<PreparedOp> out;
  for (const auto& op : ops) {
    PreparedOp p{op, stage_of(op.stage, config_.phase), kernel_family(op, config_.phase), {}, {}};
    using K = llm::OpKind;
    if (op.kind == K::kGemm || op.kind == K::kRouter) {
      // Tensor-parallel attention: column-parallel GEMMs keep their heads' share of the columns, the row-parallel
      // output projection its share of the reduction.
      const double tp = config_.attention_tp;
      const double n = op.tp == llm::TpSplit::kHeads ? op.n / tp : op.n;
      const double k = op.tp == llm::TpSplit::kRows ? op.k / tp : op.k;
      p.gemm = gemm_.prepare(op.precision, cost::GemmLayout::kDense, n, k);
    } else if (op.kind == K::kGroupedGemm) {
      const auto layout =
          config_.phase == llm::Phase::kPrefill ? cost::GemmLayout::kContiguous : cost::GemmLayout::kMasked;
      p.gemm = gemm_.prepare(op.precision, layout, op.n, op.k);
    }
    if (op.kind == llm::OpKind::kDispatch || op.kind == llm::OpKind::kCombine) {
      p.transfer_names = {op.name + "_send", op.name + "_in_flight", op.name + "_recv"};
    }
    out.push_back(std::move(p));
  }
  return out;
}

double UnitStepModel::op_seconds(const PreparedOp& prepared, const MicroBatch& mb_rank, double expert_factor) const {
  using K = llm::OpKind;
  const auto& op = prepared.op;
  int sms = compute_sms_;
  bool prefill = config_.phase == llm::Phase::kPrefill;
  // Tensor-parallel attention: an attention-block operator sees the group's tokens (its heads' share of them for
  // head-split work, which the prepared shapes and the head counts below carry).
  const double tp = config_.attention_tp;
  MicroBatch mb = mb_rank;
  if (tp > 1 && op.tp != llm::TpSplit::kNone && op.kind != K::kElementwise) {
    mb.tokens *= tp;
    mb.pairs *= tp;
    mb.sequences *= tp;
    mb.kv_tokens *= tp;
  }
  if (tp > 1 && op.tp == llm::TpSplit::kReplicated && op.kind == K::kElementwise) mb.tokens *= tp;
  double base = 0;
  switch (op.kind) {
    case K::kGemm:
      base = gemm_.time_s(prepared.gemm, 1.0, mb.tokens, sms);
      break;
    case K::kBatchedGemm:
      base = gemm_.batched_bf16_roofline_s(mb.tokens, op.batch / tp, op.n, op.k, sms) +
             (mb.tokens > 0 ? gemm_.form().launch_s : 0);
      break;
    case K::kGroupedGemm: {
      double m = mb.routed_rows / local_experts_;
      base = gemm_.time_s(prepared.gemm, local_experts_, m, sms);
      break;
    }
    case K::kPrefillAttention:
      // The group's pairs over its share of the heads.
      base = kernels_.prefill_attention_s(kernels_.windowed_pairs(mb.pairs, mb.tokens), sms) / tp;
      break;
    case K::kDecodeAttention:
      // The group's sequences over its share of the heads; the KV it reads: its KV heads' share, replicated where
      // the group outnumbers them.
      base =
          kernels_.decode_attention_s(mb.sequences, mb.kv_tokens, config_.mtp ? 2 : 1, sms, 1.0 / tp, kv_read_share());
      break;
    case K::kDispatch:
      // The whole transfer, send to landing at the most-loaded receiver (DeepEP's tables time it so).
      return prefill ? kernels_.normal_dispatch_s(mb.tokens, config_.ep, expert_factor)
                     : kernels_.low_latency_dispatch_s(mb.tokens, config_.ep, expert_factor);
    case K::kCombine:
      return prefill ? kernels_.normal_combine_s(mb.tokens, config_.ep, expert_factor)
                     : kernels_.low_latency_combine_s(mb.tokens, config_.ep, expert_factor);
    case K::kElementwise:
      // Per-routed-row kernels (permute, SwiGLU, unpermute); in a dense layer the SwiGLU runs over the dense FFN,
      // counted in expert widths (assemble() sets routed_rows so).
      base = kernels_.elementwise_s(op, op.per_routed_row ? mb.routed_rows : mb.tokens);
      break;
    case K::kRouter:
      // The gate's GEMM over every routed expert, then its top-k.
      base = mb.tokens > 0 ? gemm_.time_s(prepared.gemm, 1.0, mb.tokens, sms) + kernels_.elementwise_s(op, mb.tokens)
                           : 0.0;
      break;
  }
  // The floor (launch and tail) bounds the kernel's time as it runs, after the in-situ efficiency.
  return base > 0 ? std::max(base * slowdown(prepared.family), cost::KernelModel::kKernelFloorS) : 0.0;
}

StageDurations UnitStepModel::moe_stages(const MicroBatch& mb, double expert_factor, StageOperators* operators) const {
  StageDurations d;
  auto add = [&](Stage stage, const std::string& name, double seconds) {
    d[stage] += seconds;
    if (operators != nullptr) (*operators)[static_cast<int>(stage)].push_back({name, seconds});
  };
  const bool flights = pipeline_template(kind_).transfers_in_flight;
  const double floor = cost::KernelModel::kKernelFloorS;
  // Send and receive kernels scale with the tokens of the micro-batch from the profile's point (its 128 tokens);
  // the dispatch's receive, which lays out the rows a GPU gets, with the most-loaded GPU's share.
  const double token_share = mb.tokens / terms_.decode_tokens_per_micro_batch;
  for (const auto& op : moe_ops_) {
    double t = op_seconds(op, mb, expert_factor);
    if (!flights || (op.op.kind != llm::OpKind::kDispatch && op.op.kind != llm::OpKind::kCombine)) {
      add(op.stage, op.op.name, t);
      continue;
    }
    // A low-latency all-to-all: a send kernel on the compute stream, the data in flight, a receive kernel. Its
    // isolated time (DeepEP's table) is send + flight + receive.
    bool dispatch = op.op.kind == llm::OpKind::kDispatch;
    double send =
        std::max(floor, (dispatch ? terms_.decode_send_dispatch_s : terms_.decode_send_combine_s) * token_share);
    double receive = std::max(floor, terms_.decode_receive_s * token_share * (dispatch ? expert_factor : 1.0));
    double flight = std::max(0.0, t - send - receive);
    add(dispatch ? Stage::kDispatchSend : Stage::kCombineSend, op.transfer_names[0], send);
    add(dispatch ? Stage::kDispatch : Stage::kCombine, op.transfer_names[1], flight);
    add(dispatch ? Stage::kDispatchRecv : Stage::kCombineRecv, op.transfer_names[2], receive);
  }
  if (config_.attention_tp > 1) {
    add(stage_of(llm::OpStage::kAttn1, config_.phase), "attention_allreduce", attention_allreduce_s(mb));
  }
  if (config_.phase == llm::Phase::kPrefill) {
    add(Stage::kNotify, "deepep_notify", terms_.prefill_notify_s);
  } else if (mb.tokens > 0) {
    // Gaps between the kernels of the CUDA graph, per micro-batch and layer.
    add(Stage::kAttn0, "graph_gaps", terms_.decode_graph_gap_per_slot_s);
  }
  return d;
}

StepResult UnitStepModel::assemble(const MicroBatch& mb, double expert_factor, bool breakdown,
                                   const MicroBatch* mtp_mb) const {
  StepResult r;
  // One MoE layer: stage durations per micro-batch (the micro-batches split each rank's load evenly).
  std::array<StageDurations, 2> stages{};
  stages[0] = moe_stages(mb, expert_factor, breakdown ? &r.micro_batch_operators : nullptr);
  stages[1] = stages[0];
  auto span = std::span<const StageDurations>(stages.data(), static_cast<size_t>(micro_batches_));
  r.layer_s = scheduler_.layer_period_seconds(span);
  r.micro_batch = stages[0];

  // Dense layers: no all-to-all; the micro-batches' computation runs back to back.
  MicroBatch dense_mb = mb;
  dense_mb.routed_rows = mb.tokens * model_.dense_ffn / model_.moe.expert_ffn;  // SwiGLU width in expert units
  double dense_layer = 0;
  std::vector<double> dense_time(dense_ops_.size());
  for (size_t i = 0; i < dense_ops_.size(); ++i) {
    dense_time[i] = op_seconds(dense_ops_[i], dense_mb, 1.0) * micro_batches_;
    dense_layer += dense_time[i];
  }
  dense_layer += attention_allreduce_s(dense_mb) * micro_batches_;
  r.dense_layers_s = dense_layer * model_.dense_layers;

  // LM head over the rows that need logits, BF16.
  const double dense_gemm = slowdown(cost::KernelFamily::kDenseGemm);
  double head = dense_gemm * gemm_.time_s(lm_head_, 1.0, mb.heads_rows * micro_batches_, compute_sms_);
  double mtp = 0.0;
  if (mtp_mb != nullptr) {
    // The MTP module: its 2h -> h projection, one MoE layer over one token per sequence, and the LM head again.
    std::array<StageDurations, 2> mtp_stages{};
    mtp_stages[0] = moe_stages(*mtp_mb, expert_factor, nullptr);
    mtp_stages[1] = mtp_stages[0];
    auto mtp_span = std::span<const StageDurations>(mtp_stages.data(), static_cast<size_t>(micro_batches_));
    mtp = scheduler_.layer_period_seconds(mtp_span) +
          dense_gemm * (micro_batches_ * gemm_.time_s(mtp_proj_, 1.0, mtp_mb->tokens, compute_sms_) +
                        gemm_.time_s(lm_head_, 1.0, mtp_mb->heads_rows * micro_batches_, compute_sms_));
  }
  r.head_s = head + mtp;
  r.graph_s = model_.moe_layers() * r.layer_s + r.dense_layers_s + r.head_s;
  if (config_.phase == llm::Phase::kDecode && mb.sequences > 0) {
    r.overheads_s = terms_.decode_outside_graph_s + rank_start_skew_s_;
    if (breakdown) {
      r.overheads.push_back({"outside_graph", "host", terms_.decode_outside_graph_s});
      r.overheads.push_back({"rank_start_skew", "synchronisation", rank_start_skew_s_});
    }
  }
  r.step_s = r.graph_s + r.overheads_s;

  if (breakdown) {
    const pipeline::PipelineTemplate& t = pipeline_template(kind_);
    for (int s = 0; s < kNumStages; ++s) {
      for (const auto& op : r.micro_batch_operators[s]) {
        r.breakdown.push_back({op.name, std::string(resource_name(t.resource_of(static_cast<Stage>(s)))),
                               op.seconds * micro_batches_ * model_.moe_layers()});
      }
    }
    for (const auto& op : scheduler_.critical_cycle(span)) {
      r.critical_path.push_back({fmt::format("MB{} {}", op.micro_batch, stage_name(op.stage)),
                                 std::string(resource_name(op.resource)), op.end_s - op.start_s});
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
  mb.routed_rows = total / mbs * model_.moe.experts_per_token / config_.ep * expert_factor;
  return assemble(mb, expert_factor, breakdown, nullptr);
}

StepResult UnitStepModel::decode(std::span<const DecodeRank> ranks, double expert_factor, bool breakdown) const {
  DecodeLoads loads;
  for (const auto& r : ranks) {
    loads.max_seqs = std::max(loads.max_seqs, r.sequences);
    loads.max_kv = std::max(loads.max_kv, r.kv_tokens);
    loads.total_seqs += r.sequences;
  }
  return decode_loads(loads, expert_factor, breakdown);
}

StepResult UnitStepModel::decode_loads(const DecodeLoads& loads, double expert_factor, bool breakdown) const {
  MicroBatch mb;
  mb.sequences = loads.max_seqs;
  mb.kv_tokens = loads.max_kv;
  double q = config_.mtp ? 2.0 : 1.0;
  double mbs = micro_batches_;
  mb.sequences /= mbs;
  mb.kv_tokens /= mbs;
  mb.tokens = mb.sequences * q;
  mb.heads_rows = mb.tokens;
  mb.routed_rows = loads.total_seqs * q / mbs * model_.moe.experts_per_token / config_.ep * expert_factor;
  if (!config_.mtp) return assemble(mb, expert_factor, breakdown, nullptr);
  MicroBatch mtp = mb;  // the MTP module sees one token per sequence
  mtp.tokens = mb.sequences;
  mtp.heads_rows = mb.sequences;
  mtp.routed_rows = mb.routed_rows / q;
  return assemble(mb, expert_factor, breakdown, &mtp);
}

double UnitStepModel::kv_read_share() const {
  const double tp = config_.attention_tp;
  if (tp <= 1) return 1.0;
  if (model_.attention.kind == llm::AttentionKind::kMla) return 1.0;  // the latent serves every head: all of it
  const double kv_heads = model_.attention.gqa.kv_heads;
  return std::max(1.0, kv_heads / tp) / kv_heads;
}

double UnitStepModel::kv_bytes_per_own_token() const {
  // A GPU of a group holds the group's sequences' KV at its read share: tp x share of its own tokens' worth.
  return model_.kv_bytes_per_token() * config_.attention_tp * kv_read_share();
}

double UnitStepModel::attention_allreduce_s(const MicroBatch& mb) const {
  const double tp = config_.attention_tp;
  if (tp <= 1 || mb.tokens <= 0) return 0.0;
  // Ring all-reduce of the group's BF16 output projection over NVLink: 2 (tp - 1) / tp of the bytes each way, plus
  // a launch (the floor); on the compute stream, as NCCL's kernels hold SMs.
  const double bytes = mb.tokens * tp * model_.hidden * 2.0;
  return std::max(cost::KernelModel::kKernelFloorS, 2.0 * (tp - 1.0) / tp * bytes / hw_.node.nvlink_bytes_per_s);
}

double UnitStepModel::weight_bytes_per_gpu() const {
  double bytes = model_.weight_bytes_per_gpu(config_.ep, config_.expert_slots);
  if (config_.attention_tp > 1) {
    // Tensor-parallel attention holds its share of the head-split and row-split projections' weights.
    double split = 0;
    for (const auto& p : dense_ops_) {
      if (p.op.kind == llm::OpKind::kGemm && (p.op.tp == llm::TpSplit::kHeads || p.op.tp == llm::TpSplit::kRows)) {
        split += p.op.n * p.op.k * hardware::element_bytes(p.op.precision);
      }
    }
    bytes -= split * model_.layers * (1.0 - 1.0 / config_.attention_tp);
  }
  return bytes;
}

namespace {

// Live activations of one token of a step, in bytes (BF16 unless noted): the residual stream and its normed copy,
// the attention's queries, keys and values for prefill (every head) or the latent query for decode, the attention
// output, and the routed rows' FFN intermediates (gate and up, then the FP8 SwiGLU output) of its top-k experts.
double activation_bytes_per_token(const llm::ModelSpec& m, llm::Phase phase) {
  const double h = m.hidden;
  const double heads = m.attention.heads;
  double attention = 0, out = 0;
  if (m.attention.kind == llm::AttentionKind::kMla) {
    const auto& a = m.attention.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    attention = phase == llm::Phase::kPrefill ? heads * (qk + qk + a.v_head_dim)
                                              : heads * (a.kv_lora_rank + a.qk_rope_head_dim);
    out = heads * a.v_head_dim;
  } else {
    const auto& g = m.attention.gqa;
    attention = (heads + 2.0 * g.kv_heads) * g.head_dim;
    out = heads * g.head_dim;
  }
  const double ffn = m.moe.experts_per_token * 2.5 * m.moe.expert_ffn;
  return 2.0 * (2.0 * h + attention + out + ffn);
}

}  // namespace

MemoryFit UnitStepModel::memory_fit(double kv_tokens, double step_tokens) const {
  MemoryFit f;
  f.weights_bytes = weight_bytes_per_gpu();
  f.activation_bytes = step_tokens * activation_bytes_per_token(model_, config_.phase);
  f.kv_bytes = kv_tokens * kv_bytes_per_own_token();
  f.available_bytes = hw_.gpu.hbm_bytes * kUsableHbmFraction;
  return f;
}

void UnitStepModel::require_fit(const MemoryFit& fit, std::string_view what) const {
  if (fit.fits()) return;
  throw InputError(fmt::format(
      "{}: a {} unit of EP{} on {} needs {:.1f} GB per GPU (weights {:.1f}, activations {:.1f}, KV {:.1f}) of the "
      "{:.1f} GB it may use ({:.0f} % of {:.1f} GB HBM)",
      what, config_.phase == llm::Phase::kPrefill ? "prefill" : "decode", config_.ep, hw_.name,
      fit.needed_bytes() / 1e9, fit.weights_bytes / 1e9, fit.activation_bytes / 1e9, fit.kv_bytes / 1e9,
      fit.available_bytes / 1e9, 100 * kUsableHbmFraction, hw_.gpu.hbm_bytes / 1e9));
}

double UnitStepModel::kv_capacity_tokens() const {
  const MemoryFit f = memory_fit(0, 0);
  return std::max(0.0, (f.available_bytes - f.needed_bytes()) / kv_bytes_per_own_token());
}

}  // namespace moesim::pipeline
