// Progress of a long command on stderr. On a terminal, one line rewritten a few times a second: simulated time,
// requests done, events/s and the time left. Otherwise (a log file, CI) a start line and an end line only, so that
// logs stay short. A sweep counts whole runs instead: runs done of all, and the time left.
//
//   ProgressDisplay progress("run deepseek-day", scenario.horizon_s);
//   control.progress = progress.callback();
//   ... run ...
//   progress.finish();
//   ProgressDisplay sweep("sweep steady-small", RunCount{12});  sweep.run_done(report.events_executed, requests);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sim/cluster/simulation.h"

namespace moesim::tools {

/// How many runs a display counts (for ProgressDisplay's second constructor).
struct RunCount {
  int64_t total;
};

class ProgressDisplay {
 public:
  /// `what` names the run in the lines; `horizon_s` is the simulated time at which it ends (for the ETA).
  ProgressDisplay(std::string what, double horizon_s);
  /// Counts runs: `runs.total` of them, each reported by run_done().
  ProgressDisplay(std::string what, RunCount runs);
  /// The callback to hand to the run; it keeps a reference to this display.
  cluster::ProgressFn callback();
  /// One more run of the count is over; its events and requests count in the end line's speeds.
  void run_done(uint64_t events, int64_t requests);
  /// Rewrites the count line (elapsed time, ETA) at most four times a second; call it while waiting for runs.
  void tick();
  /// Ends the display: the end line with wall time, events/s and simulated requests/s, and for one run the peaks of
  /// requests in flight (as sampled) and of resident memory, the figures `run --max-in-flight` and `--max-rss-mb`
  /// bound.
  void finish();

 private:
  void update(const cluster::RunProgress& p);

  std::string what_;
  double horizon_s_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  cluster::RunProgress latest_;
  int64_t runs_total_ = -1;  ///< counting runs when >= 0
  int64_t runs_done_ = 0;
  int64_t peak_in_flight_ = 0;  ///< the most requests in flight seen at an update
};

}  // namespace moesim::tools
