// Fleet: the serving system. It owns the prefill and decode units and routes each request through its life:
// arrival -> a prefill unit (the unit router picks it; the unit's balancer picks the rank) -> chunked prefill -> KV
// transfer over the prefill GPU's NIC -> a decode unit (the unit router picks it; its balancer picks the rank) ->
// decode steps with MTP -> done. Units can be added (after a start-up delay) and drained (they finish
// what they hold; nothing is lost).
//
//   Fleet fleet(engine, model, experts, config, signals);
//   fleet.arrive(record);  engine.run();
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cluster/decode_unit.h"
#include "sim/cluster/prefill_unit.h"
#include "sim/cluster/scenario.h"
#include "sim/observe/request_counts.h"
#include "sim/policy/unit_router.h"

namespace moesim::cluster {

using observe::RequestCounts;

class Fleet {
 public:
  Fleet(engine::Engine& engine, const StepModel& model, ExpertBalance& prefill_experts, ExpertBalance& decode_experts,
        const Scenario& scenario, const observe::Signals& signals);
  ~Fleet();

  /// A request arrives now.
  void arrive(const RequestRecord& request);

  /// Starts a unit that serves after `startup` (its nodes count from now).
  void add_prefill_unit(engine::Duration startup);
  void add_decode_unit(engine::Duration startup);
  /// Stops sending work to the newest serving unit of that kind; it leaves when empty. False if none can go
  /// (the last serving unit of a kind is kept).
  bool drain_prefill_unit();
  bool drain_decode_unit();

  const RequestCounts& counts() const { return counts_; }
  int64_t prefill_nodes() const;
  int64_t decode_nodes() const;
  int64_t prefill_units_serving() const;
  int64_t decode_units_serving() const;
  /// Units starting or serving (not draining): what the autoscaler counts as the pool it controls.
  int64_t prefill_units_held() const;
  int64_t decode_units_held() const;
  /// Decode sequences active and waiting, and what the serving decode units can hold at the SLO.
  int64_t decode_active() const;
  int64_t decode_waiting() const;
  int64_t decode_capacity() const;
  /// New tokens waiting in the prefill units' queues now.
  int64_t prefill_queued_tokens() const;
  /// Offered load, counted from the start: new (uncached) prompt tokens of the requests accepted, and sequences
  /// that left prefill for the decode side. What a router and the KV transfer path can count.
  int64_t prefill_offered_tokens() const { return prefill_offered_tokens_; }
  int64_t decode_offered_sequences() const { return decode_offered_; }
  size_t pool_capacity() const { return pool_.capacity(); }

 private:
  enum class State { kStarting, kServing, kDraining, kGone };
  template <typename Unit>
  struct Slot {
    std::unique_ptr<Unit> unit;
    State state;
  };
  struct PrefillDone final : RequestSink {
    Fleet* fleet;
    void accept(uint32_t id) override { fleet->on_prefill_done(id); }
  };
  struct DecodeDone final : RequestSink {
    Fleet* fleet;
    void accept(uint32_t id) override { fleet->on_finished(id); }
  };
  struct TransferDone final : engine::EventHandler {
    Fleet* fleet;
    void on_event(uint64_t id) override { fleet->on_transfer_done(static_cast<uint32_t>(id)); }
  };
  struct UnitReady final : engine::EventHandler {
    Fleet* fleet;
    void on_event(uint64_t payload) override { fleet->on_unit_ready(payload); }
  };

  void route_to_prefill(uint32_t id);
  void on_prefill_done(uint32_t id);
  void on_transfer_done(uint32_t id);
  void on_finished(uint32_t id);
  void on_unit_ready(uint64_t payload);
  void retire_drained();
  void emit_size() const;
  void reject(const RequestRecord& r, const char* reason);

  engine::Engine& engine_;
  const StepModel& model_;
  ExpertBalance& prefill_experts_;
  ExpertBalance& decode_experts_;
  const Scenario& scenario_;
  const observe::Signals& signals_;
  RequestPool pool_;
  std::unique_ptr<policy::UnitRouter> router_;
  std::vector<policy::PrefillUnitView> prefill_views_;  // scratch: the prefill units as the router sees them
  std::vector<policy::DecodeUnitView> decode_views_;    // scratch: the decode units as the router sees them
  std::vector<std::unique_ptr<policy::PrefillBalancer>> prefill_balancers_;  // per prefill unit
  std::vector<std::unique_ptr<policy::DecodeBalancer>> decode_balancers_;    // per decode unit
  uint64_t seed_;
  uint64_t next_serial_ = 0;
  std::vector<Slot<PrefillUnit>> prefill_;
  std::vector<Slot<DecodeUnit>> decode_;
  std::vector<std::vector<int64_t>> nic_free_ns_;  // per prefill unit, per rank: when its NIC is free
  RequestQueue unrouted_;                          // arrivals while no prefill unit serves
  RequestQueue undecoded_;                         // transfers done while no decode unit serves
  PrefillDone prefill_done_;
  DecodeDone decode_done_;
  TransferDone transfer_done_;
  UnitReady unit_ready_;
  RequestCounts counts_;
  int64_t draining_ = 0;
  int64_t prefill_offered_tokens_ = 0;
  int64_t decode_offered_ = 0;
  double max_context_tokens_ = 0.0;
};

}  // namespace moesim::cluster
