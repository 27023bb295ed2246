// Simulation: one run of a scenario. It wires the fleet (its two sides), the arrival source, the autoscaler and the
// metrics, runs until the arrivals end and the fleet has drained (or a drain limit passes), and reports.
//
// The run goes in windows of at most 10 simulated seconds, cut also at the autoscaler's ticks. In each window the
// prefill side (arrivals, prefill units) runs on its engine to the window's end, and the decode side follows it on
// its own engine, never past the time the prefill side has published (kv_link.h). With two threads the decode side runs
// on the calling thread while the prefill side runs ahead on a second one; with one, the prefill side runs the window
// first. The order of everything is the same either way, so the results are byte-identical. At a window's end both
// sides stand at the same time: the stop rules are checked, progress is reported and the autoscaler ticks there.
//
//   Simulation sim(scenario, step_model, prefill_experts, decode_experts, source);
//   observe::RunReport report = sim.run();
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sim/cluster/arrival_source.h"
#include "sim/cluster/fleet.h"
#include "sim/observe/metrics.h"
#include "sim/observe/run_report.h"

namespace moesim::cluster {

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
/// Called at every window's end (every 10 simulated seconds at most).
using ProgressFn = std::function<void(const RunProgress&)>;

/// When a run stops before it is done, checked at every window's end (at most 10 simulated seconds apart, where both
/// sides stand at the same time, so that a stop is the same on one thread or two). A stopped run still reports what
/// it reached (RunReport::complete is false, with the reason); requests then in flight are reported as in flight.
struct StopRules {
  /// Set (to the signal's number) by a signal handler: stop at the next window's end. Only read here.
  const std::atomic<int>* interrupt = nullptr;
  uint64_t max_events = 0;    ///< stop at the first window's end where this many events have run (0: no limit)
  int64_t max_in_flight = 0;  ///< stop when more requests than this are in flight (0: no limit)
  int64_t max_rss_mb = 0;     ///< stop when the process's peak resident memory passes this (0: no limit)
};

class Simulation final {
 public:
  /// `threads`: 2 runs the prefill side on a thread of its own (the step model and the two expert balances must then
  /// be safe to use from the two sides at once, as the production ones are: each side uses its own parts); 1 runs
  /// both on the caller's thread. The results are the same. With one expert balance for both sides, one thread.
  Simulation(const Scenario& scenario, const StepModel& model, ExpertBalance& prefill_experts,
             ExpertBalance& decode_experts, ArrivalSource& source, Autoscaler* autoscaler = nullptr, int threads = 1);
  ~Simulation();

  /// Runs to the end, or until a stop rule fires. `drain_s` bounds the time after the horizon that requests in
  /// flight get to finish; those still in flight then (or at a stop) are reported as such (never dropped silently).
  observe::RunReport run(double drain_s = 86400.0, const ProgressFn& progress = {}, const StopRules& stop = {});
  /// Runs the prefill side to its end first, and then the decode side alone, from what the KV link recorded: the same
  /// report as run()'s, since the decode side sees nothing of the prefill side but the link. For a fleet without an
  /// autoscaler (whose ticks need both sides at one time); tests/cluster/sides_test.cc holds the two to each other.
  observe::RunReport run_sides_apart(double drain_s = 86400.0);

  const observe::RunMetrics& metrics() const { return metrics_; }
  observe::Signals& signals() { return signals_; }
  const Fleet& fleet() const { return *fleet_; }
  /// Events run so far, both sides (transfers handed over included).
  uint64_t events_executed() const {
    return fleet_->prefill().engine().stats().executed + fleet_->decode().engine().stats().executed +
           fleet_->decode().transfers_ended();
  }

  /// The longest window (simulated).
  static constexpr int64_t kWindowNs = 10'000'000'000;

 private:
  void report_progress(const ProgressFn& progress, int64_t now_ns) const;
  /// Why the run must stop now ("" to go on), at a window's end.
  std::string stop_reason(const StopRules& stop) const;
  /// The prefill side to the window's end (exclusive), publishing as it goes when another thread follows it.
  void run_prefill_window(int64_t end_ns, bool threaded);
  /// The decode side to the window's end (exclusive), following the prefill side. False if the last request left
  /// (the run is done).
  bool run_decode_window(int64_t end_ns, bool threaded);
  /// The prefill side's thread: windows as the decode side opens them, until told to stop.
  void prefill_thread();
  /// The report of a run that ended at `at` (all left, stopped for `stopped`, or neither).
  observe::RunReport report(int64_t at, bool all_left, const std::string& stopped);

  const Scenario& scenario_;
  ArrivalSource& source_;
  Autoscaler* autoscaler_;
  int threads_;
  int64_t horizon_ns_;
  std::unique_ptr<Fleet> fleet_;      // its two sides each on lines of their own (alignas)
  engine::TimeGate prefill_reached_;  // the prefill side has run every event before this time
  engine::TimeGate window_open_;      // the window the prefill side may run (its end); kStopThread: stop
  std::exception_ptr prefill_error_;  // what the prefill side's thread threw
  static constexpr int64_t kStopThread = INT64_MAX;
  observe::Signals signals_;
  observe::RunMetrics metrics_;
};

}  // namespace moesim::cluster
