// Simulation: one run of a scenario. It wires the engine, the fleet, the arrival source, the autoscaler and the
// metrics, runs until the arrivals end and the fleet has drained (or a drain limit passes), and reports.
//
//   Simulation sim(scenario, step_model, prefill_experts, decode_experts, source);
//   observe::RunReport report = sim.run();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sim/cluster/fleet.h"
#include "sim/observe/metrics.h"
#include "sim/observe/run_report.h"

namespace moesim::cluster {

/// Requests in arrival order. Implementations stream (traces, the day generator); memory stays constant.
class ArrivalSource {
 public:
  virtual ~ArrivalSource() = default;
  /// Fills `r` (arrival_ns, input, cached, output, model) with the next request; false at the end.
  virtual bool next(RequestRecord& r) = 0;
  /// Counters worth reporting (its name, lines read, bad lines skipped).
  virtual observe::SourceStats stats() const { return {}; }
};

/// Decides, every interval, whether to add or drain units. Sees the fleet read-only, acts through it.
class Autoscaler {
 public:
  virtual ~Autoscaler() = default;
  /// Called at time `now`; returns when it wants to be called next.
  virtual engine::Time tick(engine::Time now, Fleet& fleet) = 0;
  /// What the run's report says of it (nothing by default).
  virtual std::optional<observe::AutoscalerStats> stats() const { return std::nullopt; }
};

/// Where a run stands, for progress displays.
struct RunProgress {
  engine::Time now;
  uint64_t events = 0;        ///< events executed
  int64_t requests_done = 0;  ///< completed or rejected
  int64_t requests_in = 0;    ///< arrived so far
};
/// Called every 65,536 events (a few times a second at full speed).
using ProgressFn = std::function<void(const RunProgress&)>;

/// The scenario's prices (economics, and the spec's GPUs per node): what the summary and the plan's screen bill with.
observe::Prices prices_of(const Scenario& s);

/// When a run stops before it is done, checked at every event boundary. A stopped run still reports what it reached
/// (RunReport::complete is false, with the reason); requests then in flight are reported as in flight.
struct StopRules {
  /// Set (to the signal's number) by a signal handler: stop at the next event boundary. Only read here.
  const std::atomic<int>* interrupt = nullptr;
  uint64_t max_events = 0;    ///< stop once this many events have run (0: no limit)
  int64_t max_in_flight = 0;  ///< stop when more requests than this are in flight (0: no limit)
  int64_t max_rss_mb = 0;     ///< stop when the process's peak resident memory passes this (0: no limit)
};

class Simulation final : public engine::EventHandler {
 public:
  Simulation(const Scenario& scenario, const StepModel& model, ExpertBalance& prefill_experts,
             ExpertBalance& decode_experts, ArrivalSource& source, Autoscaler* autoscaler = nullptr);
  ~Simulation() override;

  /// Runs to the end, or until a stop rule fires. `drain_s` bounds the time after the horizon that requests in
  /// flight get to finish; those still in flight then (or at a stop) are reported as such (never dropped silently).
  observe::RunReport run(double drain_s = 86400.0, const ProgressFn& progress = {}, const StopRules& stop = {});

  const observe::RunMetrics& metrics() const { return metrics_; }
  observe::Signals& signals() { return signals_; }
  const Fleet& fleet() const { return *fleet_; }
  const engine::Engine& engine() const { return engine_; }

  void on_event(uint64_t payload) override;

 private:
  void pull_next_arrival();
  void report_progress(const ProgressFn& progress) const;
  /// The cheap stop rules (no memory check), at every event.
  bool stop_due(const StopRules& stop) const {
    return (stop.interrupt != nullptr && stop.interrupt->load(std::memory_order_relaxed) != 0) ||
           (stop.max_events > 0 && engine_.stats().executed >= stop.max_events) ||
           (stop.max_in_flight > 0 && fleet_->counts().in_flight() > stop.max_in_flight);
  }
  /// Why the run must stop now ("" to go on). `memory`: also check the process's memory (a system call).
  std::string stop_reason(const StopRules& stop, bool memory) const;

  const Scenario& scenario_;
  ArrivalSource& source_;
  Autoscaler* autoscaler_;
  engine::Engine engine_;
  observe::Signals signals_;
  observe::RunMetrics metrics_;
  std::unique_ptr<Fleet> fleet_;
  RequestRecord next_;
  bool arrivals_done_ = false;
  int64_t horizon_ns_;
  int64_t arrivals_beyond_horizon_ = 0;
};

}  // namespace moesim::cluster
