// RunMetrics: listens to the fleet's signals and hands each to the piece that keeps it: the request tally
// (conservation counts and tokens served), the latency distributions, the step totals, the node-time and the
// per-minute ledger. It computes no figures itself: make_report() (run_report.h) does, in one place.
//
//   RunMetrics m(config);  signals.subscribe(&m);  ...  m.finish(end_ns);  RunReport r = make_report(m, facts);
#pragma once

#include <cstdint>

#include "sim/observe/latency.h"
#include "sim/observe/metrics_config.h"
#include "sim/observe/minute_ledger.h"
#include "sim/observe/node_time.h"
#include "sim/observe/signals.h"
#include "sim/observe/tallies.h"

namespace moesim::observe {

class RunMetrics final : public FleetListener {
 public:
  explicit RunMetrics(const MetricsConfig& config) : config_(config), ledger_(config) {}

  void on_request_done(const RequestDone& r) override;
  void on_prefill_step(const StepDone& s) override;
  void on_decode_step(const StepDone& s) override;
  void on_fleet_size(const FleetSize& f) override;

  /// Closes node-time accounting at `end_ns`.
  void finish(int64_t end_ns);

  const MetricsConfig& config() const { return config_; }
  int64_t end_ns() const { return end_ns_; }
  const RequestTally& requests() const { return requests_; }
  const LatencyDistributions& latency() const { return latency_; }
  const StepTotals& steps() const { return steps_; }
  const NodeTime& node_time() const { return node_time_; }
  const MinuteLedger& ledger() const { return ledger_; }

 private:
  MetricsConfig config_;
  RequestTally requests_;
  LatencyDistributions latency_;
  StepTotals steps_;
  NodeTime node_time_;
  MinuteLedger ledger_;
  int64_t end_ns_ = 0;
};

}  // namespace moesim::observe
