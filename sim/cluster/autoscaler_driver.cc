#include "sim/cluster/autoscaler_driver.h"

namespace moesim::cluster {

AutoscalerDriver::AutoscalerDriver(std::unique_ptr<policy::AutoscalerPolicy> policy, const Scenario& scenario)
    : policy_(std::move(policy)),
      scenario_(scenario),
      interval_(engine::Duration::from_seconds(scenario.autoscaler.interval_s)),
      startup_(engine::Duration::from_seconds(scenario.autoscaler.startup_s)) {}

void AutoscalerDriver::on_prefill_step(const observe::StepDone& s) {
  busy_s_ += static_cast<double>(s.duration_ns) * 1e-9;
  tokens_ += s.tokens;
}

engine::Time AutoscalerDriver::tick(engine::Time now, Fleet& fleet) {
  policy::FleetObservation o;
  o.now_s = now.seconds();
  o.prefill_units = fleet.prefill_units_held();
  o.decode_units = fleet.decode_units_held();
  o.prefill_nodes_per_unit = scenario_.fleet.prefill.nodes_per_unit;
  o.decode_nodes_per_unit = scenario_.fleet.decode.nodes_per_unit;
  double span = (now - last_).seconds();
  int64_t serving = fleet.prefill_units_serving();
  o.prefill_busy = span > 0 && serving > 0 ? busy_s_ / (span * static_cast<double>(serving)) : 0.0;
  o.prefill_tokens_per_unit_s = busy_s_ > 0 ? static_cast<double>(tokens_) / busy_s_ : 0.0;
  o.prefill_queued_tokens = fleet.prefill_queued_tokens();
  o.decode_active = fleet.decode_active();
  o.decode_waiting = fleet.decode_waiting();
  int64_t decode_serving = fleet.decode_units_serving();
  o.decode_capacity_per_unit = decode_serving > 0 ? fleet.decode_capacity() / decode_serving : 0;
  busy_s_ = 0.0;
  tokens_ = 0;
  last_ = now;

  policy::FleetTarget t = policy_->decide(o);
  if (policy_->limit_bound()) ++limit_bound_;
  // The fleet predates the run: during the warm-up, units the policy adds serve at once, so the controller can find
  // the size the running system already had; after it, every unit waits out the start-up delay.
  bool warm = now.seconds() < scenario_.autoscaler.warmup_s;
  engine::Duration delay = warm ? engine::Duration{} : startup_;
  for (int64_t i = o.prefill_units; i < t.prefill_units; ++i) fleet.add_prefill_unit(delay);
  for (int64_t i = o.decode_units; i < t.decode_units; ++i) fleet.add_decode_unit(delay);
  for (int64_t i = t.prefill_units; i < o.prefill_units; ++i) fleet.drain_prefill_unit();
  for (int64_t i = t.decode_units; i < o.decode_units; ++i) fleet.drain_decode_unit();
  // Look more often during the warm-up, so it converges in a few minutes.
  return now + (warm ? std::min(interval_, engine::seconds(60)) : interval_);
}

}  // namespace moesim::cluster
