// Fleet: the serving system. It owns the prefill and decode units and routes each request through its life:
// arrival -> a prefill unit (the unit router picks it; the unit's balancer picks the rank) -> chunked prefill -> KV
// transfer over the prefill GPU's NIC -> a decode unit (the unit router picks it; its balancer picks the rank) ->
// decode steps with MTP -> done. Units can be added (after a start-up delay) and drained (they finish
// what they hold; nothing is lost). Each kind's units and their lifecycle are a UnitPool (unit_pool.h); the KV
// transfer path is KvTransferLinks (kv_transfer.h); the Fleet admits, routes, counts and emits the size signal.
//
// Two sides, each on its own engine, so that a run can give each a thread (simulation.h): the prefill side (arrivals,
// prefill units, the KV transfers' start) and the decode side (transfers' end, decode units, requests leaving). The
// prefill side never reads the decode side. What it hands over goes through Handoffs: each transfer with the time it
// ends, and its signals (prefill steps, rejections, its size, the end of arrivals), which the decode side replays into
// the run's signals in time order. At equal times the prefill side goes first: its signals, then the transfers ending
// then (in the order they began), then the decode side's own events. The autoscaler's calls (add, drain, the
// observations) happen where both sides have stopped at the same time.
//
//   Fleet fleet(prefill_engine, decode_engine, model, experts, experts, scenario, signals);
//   fleet.arrive(record);  ...prefill_engine runs...;  fleet.publish();  while (fleet.decode_next(limit) == ...) {}
#pragma once

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "sim/cluster/decode_unit.h"
#include "sim/cluster/kv_transfer.h"
#include "sim/cluster/prefill_unit.h"
#include "sim/cluster/scenario.h"
#include "sim/cluster/unit_pool.h"
#include "sim/engine/handoff.h"
#include "sim/observe/request_counts.h"
#include "sim/policy/unit_router.h"

namespace moesim::cluster {

using observe::RequestCounts;

class Fleet {
 public:
  Fleet(engine::Engine& prefill_engine, engine::Engine& decode_engine, const StepModel& model,
        ExpertBalance& prefill_experts, ExpertBalance& decode_experts, const Scenario& scenario,
        const observe::Signals& signals);
  ~Fleet();

  // The prefill side.
  /// A request arrives now.
  void arrive(const RequestRecord& request);
  /// No request arrives after this one (now).
  void arrivals_end();
  /// Makes what the prefill side handed over so far visible to the decode side.
  void publish() {
    transfers_.publish();
    prefill_signals_out_.publish();
  }

  // The decode side.
  enum class DecodeNext { kRan, kNothingDue, kAllLeft };
  /// Runs the decode side's next item (a replayed prefill signal, a transfer ending, a decode event) if it is due
  /// before `limit_ns`, which must not pass the prefill side's published time (every prefill event before it run and
  /// published). kAllLeft: it ran, and with it the last request left (arrivals had ended). kNothingDue: `next_ns` is
  /// the time of the next item known (what the prefill side must pass for it to run; INT64_MAX: none).
  DecodeNext decode_next(int64_t limit_ns, int64_t& next_ns);
  /// When the last request left (completed or rejected), -1 if none has.
  int64_t last_left_ns() const { return last_left_ns_; }
  /// Whether the decode side holds nothing to replay or run.
  bool decode_side_empty();
  uint64_t transfers_ended() const { return transfers_ended_; }

  // Between windows, while neither side runs.
  /// Lets the ids of the requests that left be given out again.
  void recycle_requests() { pool_.recycle(); }

  /// Starts a unit that serves after `startup` (its nodes count from now).
  void add_prefill_unit(engine::Duration startup);
  void add_decode_unit(engine::Duration startup);
  /// Stops sending work to the newest serving unit of that kind; it leaves when empty. False if none can go
  /// (the last serving unit of a kind is kept).
  bool drain_prefill_unit();
  bool drain_decode_unit();

  /// Both sides' counts; while neither side runs.
  RequestCounts counts() const;
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
  struct UnitReady final : engine::EventHandler {
    Fleet* fleet;
    void on_event(uint64_t payload) override { fleet->on_unit_ready(payload); }
  };

  // What the prefill side hands over.
  // A request leaving prefill, with what the decode side writes into its record's second line (request.h).
  struct Transfer {
    int64_t start_ns;  // when it was handed over (the prefill side's time then); it ends no earlier
    int64_t done_ns;
    uint32_t id;
    int32_t input_tokens;
    int32_t output_tokens;
    int32_t decode_steps;
    int32_t cached_tokens;
    int64_t arrival_ns;
    uint64_t serial;
    uint8_t model;
  };
  struct PrefillSize {
    int64_t nodes;
    int64_t units_serving;
  };
  struct ArrivalsEnd {
    int64_t arrived;
  };
  struct PrefillSignal {
    int64_t time_ns = 0;
    std::variant<PrefillSize, observe::StepDone, observe::RequestDone, ArrivalsEnd> what;
  };
  /// Listens to the prefill side's signals and hands them over.
  struct PrefillSignalTap final : observe::FleetListener {
    Fleet* fleet;
    void on_request_done(const observe::RequestDone& r) override { hand_over(r); }
    void on_prefill_step(const observe::StepDone& s) override { hand_over(s); }
    void on_fleet_size(const observe::FleetSize& f) override {
      hand_over(PrefillSize{f.prefill_nodes, f.prefill_units_serving});
    }
    template <typename T>
    void hand_over(const T& what) {
      fleet->prefill_signals_out_.push({fleet->prefill_engine_.now().ns(), what});
    }
  };

  void route_to_prefill(uint32_t id, const policy::PrefillRequestView& request);
  void on_prefill_done(uint32_t id);
  /// The request's KV is on the decode side (`kv_tokens`: its context, the decode balancer's view of it).
  void on_transfer_done(uint32_t id, int64_t kv_tokens);
  void on_finished(uint32_t id);
  void on_unit_ready(uint64_t payload);
  void replay(const PrefillSignal& s);
  bool all_left() const {
    return arrivals_ended_ && decode_counts_.completed + rejected_seen_ == arrived_total_;
  }
  void retire_drained();
  /// The whole size, from both sides (while neither side runs).
  void emit_size();
  void emit_prefill_size() const;  // the prefill side's, handed over
  void emit_decode_size() const;   // the decode side's, with the prefill side's as last replayed
  void reject(const RequestRecord& r, const char* reason);

  engine::Engine& prefill_engine_;
  engine::Engine& decode_engine_;
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
  bool mtp_;
  double mtp_acceptance_;
  double max_context_tokens_ = 0.0;
  // A prefill rank's marginal step cost of a new token and of an attention pair, for balancers that weigh queued
  // work in seconds (RankBalancerContext): from the step model, at a full chunk on every rank.
  double prefill_s_per_token_ = 0.0;
  double prefill_s_per_pair_ = 0.0;
  UnitPool<PrefillUnit> prefill_;
  UnitPool<DecodeUnit> decode_;
  KvTransferLinks kv_links_;
  RequestQueue unrouted_;   // arrivals while no prefill unit serves
  RequestQueue undecoded_;  // transfers done while no decode unit serves
  PrefillDone prefill_done_;
  DecodeDone decode_done_;
  UnitReady unit_ready_;
  // The prefill side's (on cache lines of its own: the other side's thread must not take them from it).
  alignas(64) uint64_t next_serial_ = 0;
  observe::Signals prefill_signals_;  // its units' signals, to the tap
  PrefillSignalTap tap_;
  engine::Handoff<Transfer> transfers_;
  engine::Handoff<PrefillSignal> prefill_signals_out_;
  RequestCounts prefill_counts_;
  int64_t prefill_offered_tokens_ = 0;
  int64_t decode_offered_ = 0;
  // The decode side's.
  alignas(64) engine::TimedQueue<Transfer> arrived_transfers_;  // transfers taken over and not yet ended, by end time
  uint64_t transfers_taken_ = 0;
  uint64_t transfers_ended_ = 0;
  RequestCounts decode_counts_;
  PrefillSize prefill_seen_{};  // the prefill side's size as last replayed
  int64_t rejected_seen_ = 0;
  bool arrivals_ended_ = false;
  int64_t arrived_total_ = 0;
  int64_t last_left_ns_ = -1;
};

}  // namespace moesim::cluster
