// Simulation: one run of a scenario. It wires the engine, the fleet, the arrival source, the autoscaler and the
// metrics, runs until the arrivals end and the fleet has drained (or a drain limit passes), and reports.
//
//   Simulation sim(scenario, step_model, prefill_experts, decode_experts, source);
//   observe::RunReport report = sim.run();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

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

class Simulation final : public engine::EventHandler {
 public:
  Simulation(const Scenario& scenario, const StepModel& model, ExpertBalance& prefill_experts,
             ExpertBalance& decode_experts, ArrivalSource& source, Autoscaler* autoscaler = nullptr);
  ~Simulation() override;

  /// Runs to the end. `drain_s` bounds the time after the horizon that requests in flight get to finish; those
  /// still in flight then are reported as such (never dropped silently).
  observe::RunReport run(double drain_s = 86400.0, const ProgressFn& progress = {});

  const observe::RunMetrics& metrics() const { return metrics_; }
  observe::Signals& signals() { return signals_; }
  const Fleet& fleet() const { return *fleet_; }
  const engine::Engine& engine() const { return engine_; }

  void on_event(uint64_t payload) override;

 private:
  void pull_next_arrival();
  void report_progress(const ProgressFn& progress) const;

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
