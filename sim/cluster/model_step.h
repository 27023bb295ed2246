// ModelStep: the production StepModel. It answers the fleet's step-time questions from the unit step models of
// models/pipeline (one for the prefill units, one for the decode units) and the KV costs of models/cost.
//
//   ModelStep step(scenario);   // each pool on the kind the scenario loaded for it
//   double s = step.decode_step_s(rank_loads, 1.0);
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hardware/hardware.h"
#include "models/llm/model.h"
#include "models/pipeline/unit_step.h"
#include "sim/cluster/scenario.h"
#include "sim/cluster/step_model.h"

namespace moesim::cluster {

class ModelStep final : public StepModel {
 public:
  /// `exact`: every decode step computed from its loads; otherwise from the loads quantized (memoized, below).
  /// Each pool's unit model is on the pool's own kind (FleetGeometry); a unit that does not fit in its kind's memory
  /// is an InputError naming the pool.
  explicit ModelStep(const Scenario& scenario, bool exact = false);

  double prefill_step_s(std::span<const PrefillRankLoad> ranks, double expert_factor) const override;
  double decode_step_s(std::span<const DecodeRankLoad> ranks, double expert_factor) const override;
  double decode_uniform_step_s(int64_t sequences, double kv_per_sequence, double expert_factor) const override;
  double kv_load_s(int64_t tokens) const override;
  /// The KV of `tokens` tokens from a prefill GPU to a decode GPU: at the decode pool's KV precision, over the slower
  /// of the two kinds' NICs (cost::kv_transfer_s).
  double kv_transfer_s(int64_t tokens) const override;
  double decode_kv_capacity_tokens() const override;
  double mtp_acceptance() const override;

  const pipeline::UnitStepModel& prefill_unit() const { return *prefill_; }
  const pipeline::UnitStepModel& decode_unit() const { return *decode_; }

 private:
  PoolKind prefill_kind_;  // each pool's kind and model, as the scenario loaded them (FleetGeometry)
  PoolKind decode_kind_;
  std::unique_ptr<pipeline::UnitStepModel> prefill_;
  std::unique_ptr<pipeline::UnitStepModel> decode_;
  mutable std::vector<pipeline::PrefillRank> prefill_ranks_;  // scratch, reused every step

  // The decode step from its loads (the busiest rank's sequences and KV, the unit's sequences, the expert factor).
  // Unless exact, the KV and the unit's sequences are rounded to bins 2^-9 wide (relative; 0.1 % at most) and the
  // factor to 1/4096, and the step computed at the rounded loads is kept in a direct-mapped cache: a unit's
  // consecutive steps share their rounded loads, so most steps are a lookup. The result is a function of the rounded
  // loads alone, never of what the cache held before. Error against exact: docs/performance.md.
  double decode_loads_s(const pipeline::DecodeLoads& loads, double expert_factor) const;
  struct MemoEntry {
    uint64_t loads = 0;   // sequences, KV bin, total bin
    uint64_t factor = 0;  // factor bin
    bool used = false;
    double step_s = 0;
  };
  bool exact_;
  mutable std::vector<MemoEntry> memo_;
};

}  // namespace moesim::cluster
