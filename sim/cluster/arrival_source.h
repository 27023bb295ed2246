// ArrivalSource: the requests a run admits, in arrival order (arrivals.h makes the scenario's).
//
//   for (PrefillRecord r; source.next(r);) { ... }
#pragma once

#include <string>
#include <vector>

#include "sim/cluster/request.h"
#include "sim/observe/run_report.h"

namespace moesim::cluster {

/// Requests in arrival order. Implementations stream (traces, the day generator); memory stays constant.
class ArrivalSource {
 public:
  virtual ~ArrivalSource() = default;
  /// Fills `r` (arrival_ns, input, cached, output, model) with the next request; false at the end.
  virtual bool next(PrefillRecord& r) = 0;
  /// Counters worth reporting (its name, lines read, bad lines skipped).
  virtual observe::SourceStats stats() const { return {}; }
  /// The served models' names by index (PrefillRecord::model), fixed once the source is made.
  virtual std::vector<std::string> models() const { return {}; }
};

}  // namespace moesim::cluster
