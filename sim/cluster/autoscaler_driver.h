// AutoscalerDriver: runs an autoscaler policy against the fleet. It observes what a real controller could (the
// fleet's queues and the prefill steps it hears of through signals), asks the policy for a target, and adds units
// (serving after the start-up delay) or drains them (they finish what they hold).
//
//   AutoscalerDriver driver(policy, scenario.autoscaler);  sim.signals().subscribe(&driver);
//   Simulation sim(..., &driver);
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "sim/cluster/simulation.h"
#include "sim/policy/autoscaler.h"

namespace moesim::cluster {

class AutoscalerDriver final : public Autoscaler, public observe::FleetListener {
 public:
  /// `model` is what the operator knows of its own units' speed (the cost model): it turns the observed prefill mix
  /// into a unit's capacity.
  AutoscalerDriver(std::unique_ptr<policy::AutoscalerPolicy> policy, const Scenario& scenario, const StepModel& model);

  engine::Time tick(engine::Time now, Fleet& fleet) override;
  void on_prefill_step(const observe::StepDone& s) override;
  void on_request_done(const observe::RequestDone& r) override;

  /// Decisions the pool limit cut.
  int64_t limit_bound_decisions() const { return limit_bound_; }
  /// Mean over decisions of what one prefill unit computes at full steps of the observed mix (new tokens/s).
  double prefill_capacity_per_unit() const { return ticks_ > 0 ? capacity_sum_ / ticks_ : 0.0; }
  std::optional<observe::AutoscalerStats> stats() const override {
    return observe::AutoscalerStats{limit_bound_decisions(), prefill_capacity_per_unit()};
  }

 private:
  std::unique_ptr<policy::AutoscalerPolicy> policy_;
  const Scenario& scenario_;
  const StepModel& model_;
  engine::Duration interval_;
  engine::Duration startup_;
  int64_t tokens_ = 0;               // prefill tokens computed since the last tick
  double pairs_ = 0.0;               // their attention pairs
  double pairs_per_token_ = 0.0;     // of the traffic so far (smoothed)
  int64_t offered_tokens_seen_ = 0;  // the fleet's offered-load counters at the last tick
  int64_t offered_sequences_seen_ = 0;
  int64_t arrivals_seen_ = 0;
  int64_t done_ = 0;                   // requests completed since the last tick
  int64_t done_output_tokens_ = 0;     // their output tokens
  double output_tokens_ = 0.0;         // per completed request (smoothed)
  std::vector<PrefillRankLoad> full_;  // scratch: a full prefill step
  engine::Time last_;
  int64_t limit_bound_ = 0;
  double capacity_sum_ = 0.0;
  int64_t ticks_ = 0;
};

}  // namespace moesim::cluster
