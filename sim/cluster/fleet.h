// Fleet: the serving system as the autoscaler and the run's report see it, a thin front over its two sides. The
// prefill side (prefill_side.h: arrivals, prefill units, the KV transfers' start) and the decode side
// (decode_side.h: the transfers' end, decode units, requests leaving) each own their engine, units, request pool,
// counters and draws, and meet only through the KV link (kv_link.h), which carries the requests leaving prefill and
// the prefill side's signals one way. A run can give each side a thread (simulation.h). The autoscaler's calls (add,
// drain, the observations) happen where both sides have stopped at the same time; the size the run's signals see is
// then signalled from both sides at once.
//
//   Fleet fleet(model, prefill_experts, decode_experts, scenario, signals);
//   fleet.prefill().start(source, horizon_ns);  ...  fleet.decode().next(limit_ns, next_ns);
#pragma once

#include <cstdint>

#include "sim/cluster/decode_side.h"
#include "sim/cluster/kv_link.h"
#include "sim/cluster/prefill_side.h"
#include "sim/observe/request_counts.h"

namespace moesim::cluster {

using observe::RequestCounts;

class Fleet {
 public:
  Fleet(const StepModel& model, ExpertBalance& prefill_experts, ExpertBalance& decode_experts, const Scenario& scenario,
        const observe::Signals& signals);

  PrefillSide& prefill() { return prefill_; }
  const PrefillSide& prefill() const { return prefill_; }
  DecodeSide& decode() { return decode_; }
  const DecodeSide& decode() const { return decode_; }
  KvLink& link() { return link_; }

  // The autoscaler's, and the run's between windows (neither side running).
  /// Starts a unit that serves after `startup` (its nodes count from now).
  void add_prefill_unit(engine::Duration startup);
  void add_decode_unit(engine::Duration startup);
  /// Stops sending work to the newest serving unit of that kind; it leaves when empty. False if none can go (the
  /// last serving unit of a kind is kept).
  bool drain_prefill_unit();
  bool drain_decode_unit();

  /// Both sides' counts.
  RequestCounts counts() const;
  int64_t prefill_nodes() const { return prefill_.nodes(); }
  int64_t decode_nodes() const { return decode_.nodes(); }
  int64_t prefill_units_serving() const { return prefill_.units_serving(); }
  int64_t decode_units_serving() const { return decode_.units_serving(); }
  /// Units starting or serving (not draining): what the autoscaler counts as the pool it controls.
  int64_t prefill_units_held() const { return prefill_.units_held(); }
  int64_t decode_units_held() const { return decode_.units_held(); }
  int64_t decode_active() const { return decode_.active(); }
  int64_t decode_waiting() const { return decode_.waiting(); }
  int64_t decode_capacity() const { return decode_.capacity(); }
  int64_t prefill_queued_tokens() const { return prefill_.queued_tokens(); }
  /// Offered load, counted from the start: new (uncached) prompt tokens of the requests accepted, the requests
  /// accepted, and sequences that left prefill for the decode side.
  int64_t prefill_offered_tokens() const { return prefill_.offered_tokens(); }
  int64_t prefill_offered_sequences() const { return prefill_.offered_sequences(); }
  int64_t decode_offered_sequences() const { return prefill_.sent_sequences(); }

 private:
  /// Lets drained units that are empty go, on both sides; signals the size if one went.
  void retire_drained();
  /// Signals the whole size, from both sides.
  void signal_size();

  const observe::Signals& signals_;
  KvLink link_;
  PrefillSide prefill_;
  DecodeSide decode_;
};

}  // namespace moesim::cluster
