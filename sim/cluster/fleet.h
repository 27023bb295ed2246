// Fleet: the serving system. It owns the prefill and decode units and routes each request through its life:
// arrival -> a prefill unit (the unit router picks it; the unit's balancer picks the rank) -> chunked prefill -> KV
// transfer over the prefill GPU's NIC -> a decode unit (the unit router picks it; its balancer picks the rank) ->
// decode steps with MTP -> done. Units can be added (after a start-up delay) and drained (they finish
// what they hold; nothing is lost). Each kind's units and their lifecycle are a UnitPool (unit_pool.h); the KV
// transfer path is KvTransferLinks (kv_transfer.h); the Fleet admits, routes, counts and emits the size signal.
//
//   Fleet fleet(engine, model, experts, config, signals);
//   fleet.arrive(record);  engine.run();
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cluster/decode_unit.h"
#include "sim/cluster/kv_transfer.h"
#include "sim/cluster/prefill_unit.h"
#include "sim/cluster/scenario.h"
#include "sim/cluster/unit_pool.h"
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
  int64_t prefill_nodes() const { return prefill_.nodes(); }
  int64_t decode_nodes() const { return decode_.nodes(); }
  int64_t prefill_units_serving() const { return prefill_.serving(); }
  int64_t decode_units_serving() const { return decode_.serving(); }
  /// Units starting or serving (not draining): what the autoscaler counts as the pool it controls.
  int64_t prefill_units_held() const { return prefill_.held(); }
  int64_t decode_units_held() const { return decode_.held(); }
  /// Decode sequences active and waiting, and what the serving decode units can hold at the SLO.
  int64_t decode_active() const {
    return decode_.sum_live([](const DecodeUnit& u) { return u.active(); });
  }
  int64_t decode_waiting() const {
    return static_cast<int64_t>(undecoded_.size()) + decode_.sum_live([](const DecodeUnit& u) { return u.waiting(); });
  }
  int64_t decode_capacity() const {
    return decode_.sum_serving([](const DecodeUnit& u) { return u.capacity(); });
  }
  /// New tokens waiting in the prefill units' queues now.
  int64_t prefill_queued_tokens() const {
    return prefill_.sum_live([](const PrefillUnit& u) { return u.queued_tokens(); });
  }
  /// Offered load, counted from the start: new (uncached) prompt tokens of the requests accepted, and sequences
  /// that left prefill for the decode side. What a router and the KV transfer path can count.
  int64_t prefill_offered_tokens() const { return prefill_offered_tokens_; }
  int64_t decode_offered_sequences() const { return decode_offered_; }
  size_t pool_capacity() const { return pool_.capacity(); }

 private:
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
  bool draining() const { return prefill_.draining() + decode_.draining() > 0; }
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
  UnitPool<PrefillUnit> prefill_;
  UnitPool<DecodeUnit> decode_;
  KvTransferLinks kv_links_;
  RequestQueue unrouted_;   // arrivals while no prefill unit serves
  RequestQueue undecoded_;  // transfers done while no decode unit serves
  PrefillDone prefill_done_;
  DecodeDone decode_done_;
  TransferDone transfer_done_;
  UnitReady unit_ready_;
  RequestCounts counts_;
  int64_t prefill_offered_tokens_ = 0;
  int64_t decode_offered_ = 0;
  double max_context_tokens_ = 0.0;
  // A prefill rank's marginal step cost of a new token and of an attention pair, for balancers that weigh queued
  // work in seconds (RankBalancerContext): from the step model, at a full chunk on every rank.
  double prefill_s_per_token_ = 0.0;
  double prefill_s_per_pair_ = 0.0;
};

}  // namespace moesim::cluster
