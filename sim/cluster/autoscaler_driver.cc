#include "sim/cluster/autoscaler_driver.h"

namespace moesim::cluster {

namespace {

// Each interval's observation weighs as much as all before it; the first one stands alone.
double smoothed(double previous, double observed) {
  return previous > 0 ? 0.5 * previous + 0.5 * observed : observed;
}

}  // namespace

AutoscalerDriver::AutoscalerDriver(std::unique_ptr<policy::AutoscalerPolicy> policy, const Scenario& scenario,
                                   const StepModel& model)
    : policy_(std::move(policy)),
      scenario_(scenario),
      model_(model),
      interval_(engine::Duration::from_seconds(scenario.autoscaler.interval_s)),
      startup_(engine::Duration::from_seconds(scenario.autoscaler.startup_s)) {}

void AutoscalerDriver::on_prefill_step(const observe::StepDone& s) {
  tokens_ += s.tokens;
  pairs_ += s.attention_pairs;
}

void AutoscalerDriver::on_request_done(const observe::RequestDone& r) {
  if (r.rejected) return;
  ++done_;
  done_output_tokens_ += r.output_tokens;
}

engine::Time AutoscalerDriver::tick(engine::Time now, Fleet& fleet) {
  policy::FleetObservation o;
  o.now_s = now.seconds();
  o.prefill_units = fleet.prefill_units_held();
  o.decode_units = fleet.decode_units_held();
  o.prefill_nodes_per_unit = scenario_.fleet.prefill.nodes_per_unit;
  o.decode_nodes_per_unit = scenario_.fleet.decode.nodes_per_unit;
  double span = (now - last_).seconds();
  int64_t offered_tokens = fleet.prefill_offered_tokens();
  int64_t offered_sequences = fleet.decode_offered_sequences();
  int64_t arrivals = fleet.prefill_offered_sequences();
  if (span > 0) {
    o.prefill_offered_tokens_per_s = static_cast<double>(offered_tokens - offered_tokens_seen_) / span;
    o.decode_offered_per_s = static_cast<double>(offered_sequences - offered_sequences_seen_) / span;
    o.arrivals_per_s = static_cast<double>(arrivals - arrivals_seen_) / span;
  }
  arrivals_seen_ = arrivals;
  offered_tokens_seen_ = offered_tokens;
  offered_sequences_seen_ = offered_sequences;
  if (done_ > 0) {
    double out = static_cast<double>(done_output_tokens_) / static_cast<double>(done_);
    output_tokens_ = smoothed(output_tokens_, out);
  }
  done_ = 0;
  done_output_tokens_ = 0;
  // At the SLO speed a sequence holds its slot for its output tokens over the per-user target.
  o.decode_hold_s = span > 0 ? output_tokens_ / scenario_.slo.user_tokens_per_s : 0.0;
  o.prefill_queued_tokens = fleet.prefill_queued_tokens();
  if (tokens_ > 0) {
    double ppt = pairs_ / static_cast<double>(tokens_);
    pairs_per_token_ = smoothed(pairs_per_token_, ppt);
  }
  // A full step: every rank computes a chunk of the observed mix (attention pairs per token as observed, capped
  // at what the per-step attention budget lets in).
  int64_t ranks = scenario_.geometry.prefill.gpus;
  double chunk = static_cast<double>(scenario_.fleet.prefill.chunk_tokens);
  double ppt = pairs_per_token_ > 0 ? std::min(pairs_per_token_, (chunk + 1) / 2) : (chunk + 1) / 2;
  full_.assign(static_cast<size_t>(ranks), PrefillRankLoad{static_cast<int64_t>(chunk), chunk * ppt, 1});
  o.prefill_capacity_per_unit = chunk * static_cast<double>(ranks) / model_.prefill_step_s(full_, 1.0);
  if (pairs_per_token_ > 0) {
    capacity_sum_ += o.prefill_capacity_per_unit;
    ++ticks_;
  }
  o.decode_active = fleet.decode_active();
  o.decode_waiting = fleet.decode_waiting();
  int64_t decode_serving = fleet.decode_units_serving();
  o.decode_capacity_per_unit = decode_serving > 0 ? fleet.decode_capacity() / decode_serving : 0;
  tokens_ = 0;
  pairs_ = 0.0;
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
