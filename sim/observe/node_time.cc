#include "sim/observe/node_time.h"

#include <algorithm>

namespace moesim::observe {

namespace {
constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr double kNsPerS = 1e9;
}  // namespace

void NodeTime::accrue(int64_t until_ns, MinuteLedger& ledger) {
  int64_t t = last_size_ns_;
  while (t < until_ns) {
    // Piece by piece at minute edges, so that each minute of the ledger gets its own share.
    int64_t edge = std::min(until_ns, (t / kMinuteNs + 1) * kMinuteNs);
    double dt = static_cast<double>(edge - t) / kNsPerS;
    auto& m = ledger.at(t);
    m.prefill_node_s += dt * static_cast<double>(prefill_nodes_);
    m.decode_node_s += dt * static_cast<double>(decode_nodes_);
    prefill_node_s_ += dt * static_cast<double>(prefill_nodes_);
    decode_node_s_ += dt * static_cast<double>(decode_nodes_);
    t = edge;
  }
  last_size_ns_ = std::max(last_size_ns_, until_ns);
}

void NodeTime::resize(const FleetSize& f, MinuteLedger& ledger) {
  accrue(f.time_ns, ledger);
  prefill_nodes_ = f.prefill_nodes;
  decode_nodes_ = f.decode_nodes;
  peak_nodes_ = std::max(peak_nodes_, prefill_nodes_ + decode_nodes_);
}

}  // namespace moesim::observe
