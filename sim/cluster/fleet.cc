#include "sim/cluster/fleet.h"

#include <algorithm>

namespace moesim::cluster {

Fleet::Fleet(const StepModel& model, ExpertBalance& prefill_experts, ExpertBalance& decode_experts,
             const Scenario& scenario, const observe::Signals& signals)
    : signals_(signals),
      prefill_(scenario, model, prefill_experts, link_),
      decode_(scenario, model, decode_experts, link_, signals) {
  // The units the scenario starts with, serving at once, each signalled as the autoscaler's additions are.
  for (int64_t i = 0; i < scenario.fleet.prefill.units; ++i) add_prefill_unit(engine::Duration{});
  for (int64_t i = 0; i < scenario.fleet.decode.units; ++i) add_decode_unit(engine::Duration{});
}

void Fleet::add_prefill_unit(engine::Duration startup) {
  prefill_.add_unit(startup);
  signal_size();
}

void Fleet::add_decode_unit(engine::Duration startup) {
  decode_.add_unit(startup);
  signal_size();
}

bool Fleet::drain_prefill_unit() {
  bool ok = prefill_.drain_unit();
  if (ok) retire_drained();
  return ok;
}

bool Fleet::drain_decode_unit() {
  bool ok = decode_.drain_unit();
  if (ok) retire_drained();
  return ok;
}

void Fleet::retire_drained() {
  const bool prefill_left = prefill_.retire_idle();
  const bool decode_left = decode_.retire_idle();
  if (prefill_left || decode_left) signal_size();
}

RequestCounts Fleet::counts() const {
  RequestCounts c = prefill_.counts();
  const RequestCounts& d = decode_.counts();
  c.completed += d.completed;
  c.in_transfer += d.in_transfer;
  c.in_decode += d.in_decode;
  c.in_flight_input_tokens += d.in_flight_input_tokens;
  c.in_flight_output_tokens += d.in_flight_output_tokens;
  return c;
}

void Fleet::signal_size() {
  decode_.set_prefill_size({prefill_nodes(), prefill_units_serving()});
  int64_t now_ns = std::max(prefill_.engine().now().ns(), decode_.engine().now().ns());
  signals_.fleet_size({now_ns, prefill_nodes(), decode_nodes(), prefill_units_serving(), decode_units_serving()});
}

}  // namespace moesim::cluster
