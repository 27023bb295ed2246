#include "sim/cluster/model_step.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "common/error.h"
#include "common/round.h"
#include "models/cost/calibration_file.h"
#include "sim/cluster/scenario.h"

namespace moesim::cluster {

namespace {
pipeline::UnitConfig unit_config(const PoolConfig& p, llm::Phase phase, const llm::UnitGeometry& g,
                                 const std::array<double, cost::kNumKernelFamilies>& scales) {
  pipeline::UnitConfig c;
  c.efficiency_scale = scales;
  c.attention_tp = p.attention == "tp" ? g.gpus_per_node : 1;
  c.phase = phase;
  c.ep = g.gpus;
  c.overlap = p.overlap;
  c.mtp = phase == llm::Phase::kDecode && p.mtp;
  c.expert_slots = g.expert_slots;
  return c;
}
constexpr double kFactorSteps = 4096.0;         // expert factor: bins of 1/4096
constexpr size_t kMemoSlots = size_t{1} << 16;  // direct-mapped cache entries (1.5 MiB)
constexpr int kDroppedBits = 43;                // a load keeps its exponent and 9 mantissa bits

// A positive load's bin: its exponent and leading 9 mantissa bits (bins 2^-9 wide relative to the load, read off the
// bits: no logarithm); 0 for no load. The load at a bin is the bin's middle, within 2^-10 (0.1 %) of every load in it.
uint64_t load_bin(double x) { return x > 0 ? std::bit_cast<uint64_t>(x) >> kDroppedBits : 0; }
double at_load_bin(uint64_t bin) {
  return bin > 0 ? std::bit_cast<double>(bin << kDroppedBits | uint64_t{1} << (kDroppedBits - 1)) : 0.0;
}

using Scales = std::array<double, cost::kNumKernelFamilies>;

// The efficiency scales of a pool of `kind` fitted with `fit`: from the scenario's calibration file, which must have
// been fitted on that kind (ones without a file).
Scales scales_for(const Scenario& s, const cost::InSituFit& fit, const hardware::Hardware& kind,
                  const llm::ModelSpec& model) {
  Scales ones;
  ones.fill(1.0);
  if (s.calibration.empty()) return ones;
  const auto file = resolve_path(s, s.calibration);
  try {
    return cost::calibration_scales(cost::read_calibration(file), fit, kind.name, model.name);
  } catch (const InputError& e) {
    throw InputError(fmt::format("calibration: {}", e.what()));
  }
}

// A pool's unit step model on its kind, with `fit` (that kind's in-situ efficiencies).
std::unique_ptr<pipeline::UnitStepModel> pool_unit(const Scenario& s, const PoolConfig& p, llm::Phase phase,
                                                   const llm::UnitGeometry& g, const PoolKind& kind,
                                                   const cost::InSituFit& fit) {
  const Scales scales = scales_for(s, fit, *kind.hardware, *kind.model);
  return std::make_unique<pipeline::UnitStepModel>(*kind.hardware, *kind.model, unit_config(p, phase, g, scales), fit);
}
}  // namespace

ModelStep::ModelStep(const Scenario& s, bool exact)
    : prefill_kind_(s.geometry.prefill_kind),
      decode_kind_(s.geometry.decode_kind),
      exact_(exact),
      memo_(exact ? 0 : kMemoSlots) {
  // The in-situ fit depends on the kind's tables and profiles alone: fitted once per distinct kind.
  const cost::InSituFit prefill_fit = cost::fit_in_situ(*prefill_kind_.hardware, cost::profile_model());
  const cost::InSituFit decode_fit = decode_kind_.hardware == prefill_kind_.hardware
                                         ? prefill_fit
                                         : cost::fit_in_situ(*decode_kind_.hardware, cost::profile_model());
  prefill_ = pool_unit(s, s.fleet.prefill, llm::Phase::kPrefill, s.geometry.prefill, prefill_kind_, prefill_fit);
  decode_ = pool_unit(s, s.fleet.decode, llm::Phase::kDecode, s.geometry.decode, decode_kind_, decode_fit);
  // A prefill unit holds a chunk's tokens in flight and their KV until it is sent; a decode unit must hold at least
  // one sequence of the model's longest context beside its weights. Each on its own kind's memory.
  const double chunk = static_cast<double>(s.fleet.prefill.chunk_tokens);
  prefill_->require_fit(prefill_->memory_fit(chunk, chunk), "fleet.prefill");
  decode_->require_fit(decode_->memory_fit(decode_kind_.model->context, 0), "fleet.decode");
}

double ModelStep::prefill_step_s(std::span<const PrefillRankLoad> ranks, double expert_factor) const {
  prefill_ranks_.resize(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    prefill_ranks_[i] = {static_cast<double>(ranks[i].new_tokens), ranks[i].attention,
                         static_cast<double>(ranks[i].sequences)};
  }
  return prefill_->prefill(prefill_ranks_, expert_factor).step_s;
}

double ModelStep::decode_step_s(std::span<const DecodeRankLoad> ranks, double expert_factor) const {
  // The reduction UnitStepModel::decode makes, straight from the fleet's loads (no copy into its rank type).
  pipeline::DecodeLoads loads;
  for (const auto& r : ranks) {
    loads.max_seqs = std::max(loads.max_seqs, static_cast<double>(r.sequences));
    loads.max_kv = std::max(loads.max_kv, r.kv_tokens);
    loads.total_seqs += static_cast<double>(r.sequences);
  }
  return decode_loads_s(loads, expert_factor);
}

double ModelStep::decode_uniform_step_s(int64_t sequences, double kv_per_sequence, double expert_factor) const {
  return decode_loads_s(decode_->uniform_decode_loads(static_cast<double>(sequences), kv_per_sequence), expert_factor);
}

double ModelStep::decode_loads_s(const pipeline::DecodeLoads& loads, double expert_factor) const {
  if (exact_) return decode_->decode_loads(loads, expert_factor).step_s;
  uint64_t kv_bin = load_bin(loads.max_kv);
  uint64_t total_bin = load_bin(loads.total_seqs);
  int64_t factor_bin = round_nearest(expert_factor * kFactorSteps);
  auto step_at_bins = [&] {
    return decode_
        ->decode_loads({loads.max_seqs, at_load_bin(kv_bin), at_load_bin(total_bin)},
                       static_cast<double>(factor_bin) / kFactorSteps)
        .step_s;
  };
  auto seqs = static_cast<int64_t>(loads.max_seqs);  // a count: exact
  if (seqs < 0 || seqs >= (int64_t{1} << 20) || factor_bin < 0) return step_at_bins();
  // Bins take 21 bits each (sign and exponent included, the sign always 0).
  uint64_t key = static_cast<uint64_t>(seqs) << 42 | kv_bin << 21 | total_bin;
  auto factor = static_cast<uint64_t>(factor_bin);
  MemoEntry& e = memo_[((key ^ factor * 0xD6E8FEB86659FD93ull) * 0x9E3779B97F4A7C15ull) >> 48];
  if (!(e.used && e.loads == key && e.factor == factor)) e = {key, factor, true, step_at_bins()};
  return e.step_s;
}

double ModelStep::kv_load_s(int64_t tokens) const { return prefill_->kernels().kv_load_s(static_cast<double>(tokens)); }

double ModelStep::kv_transfer_s(int64_t tokens) const {
  return cost::kv_transfer_s(static_cast<double>(tokens), *decode_kind_.model, prefill_kind_.hardware->node,
                             decode_kind_.hardware->node);
}

double ModelStep::decode_kv_capacity_tokens() const { return decode_->kv_capacity_tokens(); }

double ModelStep::mtp_acceptance() const { return decode_kind_.model->mtp.acceptance; }

}  // namespace moesim::cluster
