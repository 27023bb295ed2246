// ModelStep: the production StepModel. It answers the fleet's step-time questions from the unit step models of
// models/pipeline (one for the prefill units, one for the decode units) and the KV costs of models/cost.
//
//   ModelStep step(scenario);   // loads the hardware and the model the scenario names
//   double s = step.decode_step_s(rank_loads, 1.0);
#pragma once

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
  explicit ModelStep(const Scenario& scenario);

  double prefill_step_s(std::span<const PrefillRankLoad> ranks, double expert_factor) const override;
  double decode_step_s(std::span<const DecodeRankLoad> ranks, double expert_factor) const override;
  double decode_uniform_step_s(int64_t sequences, double kv_per_sequence, double expert_factor) const override;
  double kv_load_s(int64_t tokens) const override;
  double kv_transfer_s(int64_t tokens) const override;
  double decode_kv_capacity_tokens() const override;
  double mtp_acceptance() const override;

  const pipeline::UnitStepModel& prefill_unit() const { return *prefill_; }
  const pipeline::UnitStepModel& decode_unit() const { return *decode_; }

 private:
  hardware::Hardware hw_;
  llm::ModelSpec model_;
  std::unique_ptr<pipeline::UnitStepModel> prefill_;
  std::unique_ptr<pipeline::UnitStepModel> decode_;
  mutable std::vector<pipeline::PrefillRank> prefill_ranks_;  // scratch, reused every step
  mutable std::vector<pipeline::DecodeRank> decode_ranks_;
};

}  // namespace moesim::cluster
