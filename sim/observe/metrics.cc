#include "sim/observe/metrics.h"

namespace moesim::observe {

void RunMetrics::on_fleet_size(const FleetSize& f) { node_time_.resize(f, ledger_); }

void RunMetrics::finish(int64_t end_ns) {
  node_time_.accrue(end_ns, ledger_);
  end_ns_ = end_ns;
}

void RunMetrics::on_request_done(const RequestDone& r) {
  requests_.add(r);
  if (r.rejected) return;
  RequestLatency l = latency_of(r);
  latency_.add(l);
  ledger_.add_request(r, l);
}

void RunMetrics::on_prefill_step(const StepDone& s) {
  steps_.add_prefill_step(s);
  ledger_.add_prefill_step(s);
}

void RunMetrics::on_decode_step(const StepDone& s) {
  steps_.add_decode_step(s, config_.slo_user_tokens_per_s);
  ledger_.add_decode_step(s);
}

}  // namespace moesim::observe
