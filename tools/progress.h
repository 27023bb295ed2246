// Progress of a long command on stderr. On a terminal, one line rewritten a few times a second: simulated time,
// requests done, events/s and the time left. Otherwise (a log file, CI) a start line and an end line only, so that
// logs stay short.
//
//   ProgressDisplay progress("run deepseek-day", scenario.horizon_s);
//   control.progress = progress.callback();
//   ... run ...
//   progress.finish();
#pragma once

#include <chrono>
#include <string>

#include "sim/cluster/simulation.h"

namespace moesim::tools {

class ProgressDisplay {
 public:
  /// `what` names the run in the lines; `horizon_s` is the simulated time at which it ends (for the ETA).
  ProgressDisplay(std::string what, double horizon_s);
  /// The callback to hand to the run; it keeps a reference to this display.
  cluster::ProgressFn callback();
  /// Ends the display: the end line with wall time, events/s, simulated requests/s, and the peaks of requests in
  /// flight (as sampled) and of resident memory, the figures `moesim run --max-in-flight` and `--max-rss-mb` bound.
  void finish();

 private:
  void update(const cluster::RunProgress& p);

  std::string what_;
  double horizon_s_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  cluster::RunProgress latest_;
  int64_t peak_in_flight_ = 0;  ///< the most requests in flight seen at an update
};

}  // namespace moesim::tools
