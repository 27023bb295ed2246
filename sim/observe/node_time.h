// NodeTime: the fleet's size over time. Each size holds from its signal until the next; node-seconds are summed
// over the run and, minute by minute, into the ledger. Keeps the peak.
//
//   NodeTime t;  t.resize(fleet_size, ledger);  ...  t.accrue(end_ns, ledger);  double s = t.prefill_node_s();
#pragma once

#include <cstdint>

#include "sim/observe/minute_ledger.h"
#include "sim/observe/signals.h"

namespace moesim::observe {

class NodeTime {
 public:
  /// The fleet's size changed at `f.time_ns`: the old size is accrued up to then.
  void resize(const FleetSize& f, MinuteLedger& ledger);
  /// Accrues the current size up to `until_ns`.
  void accrue(int64_t until_ns, MinuteLedger& ledger);

  double prefill_node_s() const { return prefill_node_s_; }
  double decode_node_s() const { return decode_node_s_; }
  int64_t peak_nodes() const { return peak_nodes_; }

 private:
  int64_t last_size_ns_ = 0;
  int64_t prefill_nodes_ = 0;
  int64_t decode_nodes_ = 0;
  int64_t peak_nodes_ = 0;
  double prefill_node_s_ = 0.0;
  double decode_node_s_ = 0.0;
};

}  // namespace moesim::observe
