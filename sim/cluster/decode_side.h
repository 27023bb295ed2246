// DecodeSide: the decode half of the serving system, on its own engine. It takes the requests the KV link brings,
// each when its transfer ends (making its own record from the transfer), routes each to a decode unit (the unit
// router picks it; the unit's rank balancer the rank), runs the units' decode steps, and reports each request that
// leaves. It replays the prefill side's signals from the link into the run's signals, in time order with its own. It
// knows nothing of the prefill side but what the link carries.
//
// Order at equal times: the prefill side's signals, then the transfers ending then (in the order they were sent),
// then its own events. The prefill side's events up to a time must all have been published before the decode side
// runs to it (next()'s limit).
//
//   DecodeSide decode(scenario, model, experts, link, signals);
//   int64_t next_ns;  while (decode.next(limit_ns, next_ns) == DecodeSide::Next::kRan) {}
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cluster/decode_unit.h"
#include "sim/cluster/kv_link.h"
#include "sim/cluster/scenario.h"
#include "sim/cluster/unit_pool.h"
#include "sim/engine/event_queue.h"
#include "sim/observe/request_counts.h"
#include "sim/policy/unit_router.h"

namespace moesim::cluster {

class alignas(64) DecodeSide final : public engine::EventHandler {
 public:
  /// Reads its part of the scenario (fleet.decode, its geometry, the router, the SLO, the seed); no units.
  /// `signals`: the run's.
  DecodeSide(const Scenario& scenario, const StepModel& model, ExpertBalance& experts, KvLink& link,
             const observe::Signals& signals);
  ~DecodeSide() override;

  engine::Engine& engine() { return engine_; }
  const engine::Engine& engine() const { return engine_; }

  enum class Next { kRan, kNothingDue, kAllLeft };
  /// Runs the next item (a replayed prefill signal, a transfer ending, a decode event) if it is due before
  /// `limit_ns`, which must not pass the prefill side's published time. kAllLeft: it ran, and with it the last request
  /// left (arrivals had ended). kNothingDue: `next_ns` is the time of the next item known (INT64_MAX: none).
  Next next(int64_t limit_ns, int64_t& next_ns);
  /// Whether it holds nothing to replay or run.
  bool empty();
  /// When the last request left (completed or rejected), -1 if none has.
  int64_t last_left_ns() const { return last_left_ns_; }
  uint64_t transfers_ended() const { return transfers_ended_; }

  /// Starts a unit that serves after `startup`.
  void add_unit(engine::Duration startup);
  /// Stops sending work to the newest serving unit; it leaves when empty. False if it is the last serving one.
  bool drain_unit();
  /// Lets drained units that are empty go; true if one went.
  bool retire_idle() { return units_.retire_idle(); }
  /// The prefill side's size as the run's signals last saw it (set when both sides' size is signalled at once).
  void set_prefill_size(const PrefillSize& size) { prefill_seen_ = size; }

  const observe::RequestCounts& counts() const { return counts_; }
  int64_t nodes() const { return units_.nodes(); }
  int64_t units_serving() const { return units_.serving(); }
  int64_t units_held() const { return units_.held(); }
  /// Sequences active and waiting, and what the serving units can hold at the SLO.
  int64_t active() const {
    return units_.sum_live([](const DecodeUnit& u) { return u.active(); });
  }
  int64_t waiting() const {
    return static_cast<int64_t>(undecoded_.size()) + units_.sum_live([](const DecodeUnit& u) { return u.waiting(); });
  }
  int64_t capacity() const {
    return units_.sum_serving([](const DecodeUnit& u) { return u.capacity(); });
  }

  void on_event(uint64_t unit) override;  // a unit becomes ready

 private:
  struct DecodeDone final : RequestSink {
    DecodeSide* side;
    void accept(uint32_t id) override { side->on_finished(id); }
  };

  void take(const KvTransfer& t);
  /// The request's KV is here (`kv_tokens`: its context, the router's view of it).
  void route(uint32_t id, int64_t kv_tokens);
  void on_finished(uint32_t id);
  void replay(const PrefillSignal& s);
  void signal_size() const;
  bool all_left() const { return arrivals_ended_ && counts_.completed + rejected_seen_ == arrived_total_; }

  engine::Engine engine_;
  const Scenario& scenario_;
  const StepModel& model_;
  ExpertBalance& experts_;
  KvLink& link_;
  const observe::Signals& signals_;
  DecodePool pool_;
  std::unique_ptr<policy::UnitRouter> router_;
  std::vector<policy::DecodeUnitView> views_;                       // scratch: the units as the router sees them
  std::vector<std::unique_ptr<policy::DecodeBalancer>> balancers_;  // per unit
  UnitPool<DecodeUnit> units_;
  RequestQueue<DecodePool> undecoded_;  // transfers done while no unit serves
  DecodeDone done_;
  engine::TimedQueue<KvTransfer> in_flight_;  // transfers taken from the link and not yet ended, by end time
  uint64_t transfers_taken_ = 0;
  uint64_t transfers_ended_ = 0;
  observe::RequestCounts counts_;
  PrefillSize prefill_seen_{};  // the prefill side's size as last replayed
  int64_t rejected_seen_ = 0;
  bool arrivals_ended_ = false;
  int64_t arrived_total_ = 0;
  int64_t last_left_ns_ = -1;
};

}  // namespace moesim::cluster
