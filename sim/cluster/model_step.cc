#include "sim/cluster/model_step.h"

#include "sim/cluster/wiring.h"

namespace moesim::cluster {

namespace {
pipeline::UnitConfig unit_config(const PoolConfig& p, llm::Phase phase, const llm::UnitGeometry& g) {
  pipeline::UnitConfig c;
  c.phase = phase;
  c.ep = g.gpus;
  c.overlap = p.overlap;
  c.mtp = phase == llm::Phase::kDecode && p.mtp;
  c.expert_slots = g.expert_slots;
  return c;
}
}  // namespace

ModelStep::ModelStep(const Scenario& s)
    : hw_(hardware::load_hardware(s.hardware)),
      model_(llm::load_model(model_path(s))),
      prefill_(std::make_unique<pipeline::UnitStepModel>(
          hw_, model_, unit_config(s.fleet.prefill, llm::Phase::kPrefill, s.geometry.prefill))),
      decode_(std::make_unique<pipeline::UnitStepModel>(
          hw_, model_, unit_config(s.fleet.decode, llm::Phase::kDecode, s.geometry.decode))) {}

double ModelStep::prefill_step_s(std::span<const PrefillRankLoad> ranks, double expert_factor) const {
  prefill_ranks_.resize(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    prefill_ranks_[i] = {static_cast<double>(ranks[i].new_tokens), ranks[i].attention,
                         static_cast<double>(ranks[i].sequences)};
  }
  return prefill_->prefill(prefill_ranks_, expert_factor).step_s;
}

double ModelStep::decode_step_s(std::span<const DecodeRankLoad> ranks, double expert_factor) const {
  decode_ranks_.resize(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    decode_ranks_[i] = {static_cast<double>(ranks[i].sequences), ranks[i].kv_tokens};
  }
  return decode_->decode(decode_ranks_, expert_factor).step_s;
}

double ModelStep::decode_uniform_step_s(int64_t sequences, double kv_per_sequence, double expert_factor) const {
  return decode_->decode_uniform_s(static_cast<double>(sequences), kv_per_sequence, expert_factor);
}

double ModelStep::kv_load_s(int64_t tokens) const { return prefill_->kernels().kv_load_s(static_cast<double>(tokens)); }

double ModelStep::kv_transfer_s(int64_t tokens) const {
  return prefill_->kernels().kv_transfer_s(static_cast<double>(tokens));
}

double ModelStep::decode_kv_capacity_tokens() const { return decode_->kv_capacity_tokens(); }

double ModelStep::mtp_acceptance() const { return model_.mtp_acceptance; }

}  // namespace moesim::cluster
