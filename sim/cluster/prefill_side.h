// PrefillSide: the prefill half of the serving system, on its own engine. It admits the arrivals (rejecting a request
// no decode GPU could hold), routes each to a prefill unit (the unit router picks it; the unit's rank balancer the
// rank), runs the units' chunked prefill, and when a prompt is done books its KV transfer on the prefill GPU's NIC and
// sends it over the KV link, with its MTP draws, for the decode side. Its own signals (prefill steps, rejections, its
// size, the end of arrivals) go over the link too. It knows nothing of the decode side.
//
//   PrefillSide prefill(scenario, model, experts, link);
//   prefill.start(source, horizon_ns);  while (prefill.engine().step_until(end)) {}  link.publish();
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cluster/arrival_source.h"
#include "sim/cluster/decode_steps.h"
#include "sim/cluster/kv_link.h"
#include "sim/cluster/kv_transfer.h"
#include "sim/cluster/prefill_unit.h"
#include "sim/cluster/scenario.h"
#include "sim/cluster/unit_pool.h"
#include "sim/observe/request_counts.h"
#include "sim/policy/unit_router.h"

namespace moesim::cluster {

class alignas(64) PrefillSide final : public engine::EventHandler {
 public:
  /// Reads its part of the scenario (fleet.prefill, its geometry, the router, the seed, MTP for the draws); no units.
  PrefillSide(const Scenario& scenario, const StepModel& model, ExpertBalance& experts, KvLink& link);
  ~PrefillSide() override;

  /// Starts reading `source`: every request arriving before `horizon_ns` is admitted at its time; then the end of
  /// arrivals is signalled.
  void start(ArrivalSource& source, int64_t horizon_ns);
  engine::Engine& engine() { return engine_; }
  const engine::Engine& engine() const { return engine_; }

  /// Starts a unit that serves after `startup` (its nodes count from now).
  void add_unit(engine::Duration startup);
  /// Stops sending work to the newest serving unit; it leaves when empty. False if it is the last serving one.
  bool drain_unit();
  /// Lets drained units that are empty go; true if one went.
  bool retire_idle() { return units_.retire_idle(); }

  const observe::RequestCounts& counts() const { return counts_; }
  int64_t nodes() const { return units_.nodes(); }
  int64_t units_serving() const { return units_.serving(); }
  int64_t units_held() const { return units_.held(); }
  /// New tokens waiting in the units' queues now.
  int64_t queued_tokens() const {
    return units_.sum_live([](const PrefillUnit& u) { return u.queued_tokens(); });
  }
  /// Counted from the start: the requests accepted, their new (uncached) prompt tokens, and sequences sent to decode.
  int64_t offered_sequences() const { return offered_sequences_; }
  int64_t offered_tokens() const { return offered_tokens_; }
  int64_t sent_sequences() const { return sent_sequences_; }
  bool arrivals_done() const { return arrivals_done_; }

  void on_event(uint64_t payload) override;

 private:
  struct PrefillDone final : RequestSink {
    PrefillSide* side;
    void accept(uint32_t id) override { side->on_prefill_done(id); }
  };
  /// Listens to the units' signals and sends them over the link.
  struct SignalTap final : observe::FleetListener {
    PrefillSide* side;
    void on_request_done(const observe::RequestDone& r) override { send(r); }
    void on_prefill_step(const observe::StepDone& s) override { send(s); }
    void on_fleet_size(const observe::FleetSize& f) override {
      send(PrefillSize{f.prefill_nodes, f.prefill_units_serving});
    }
    template <typename T>
    void send(const T& what) {
      side->link_.signal({side->engine_.now().ns(), what});
    }
  };

  void pull_next_arrival();
  void arrive(const PrefillRecord& request);
  void route(uint32_t id);
  void on_prefill_done(uint32_t id);
  void on_unit_ready(uint64_t unit);
  void reject(const PrefillRecord& r, const char* reason);
  void signal_size() const;

  engine::Engine engine_;
  const Scenario& scenario_;
  const StepModel& model_;
  ExpertBalance& experts_;
  KvLink& link_;
  PrefillPool pool_;
  std::unique_ptr<policy::UnitRouter> router_;
  std::vector<policy::PrefillUnitView> views_;                       // scratch: the units as the router sees them
  std::vector<std::unique_ptr<policy::PrefillBalancer>> balancers_;  // per unit
  UnitPool<PrefillUnit> units_;
  KvTransferLinks nics_;
  RequestQueue<PrefillPool> unrouted_;  // arrivals while no unit serves
  PrefillDone done_;
  SignalTap tap_;
  observe::Signals signals_;  // its units' signals, to the tap
  observe::RequestCounts counts_;
  // A rank's marginal step cost of a new token and of an attention pair, for balancers that weigh queued work in
  // seconds (RankBalancerContext): from the step model, at a full chunk on every rank.
  double s_per_token_ = 0.0;
  double s_per_pair_ = 0.0;
  double max_context_tokens_ = 0.0;
  bool mtp_;
  double mtp_acceptance_;
  int64_t offered_tokens_ = 0;
  int64_t offered_sequences_ = 0;
  int64_t sent_sequences_ = 0;
  uint64_t next_serial_ = 0;
  // The arrivals.
  ArrivalSource* source_ = nullptr;
  int64_t horizon_ns_ = 0;
  PrefillRecord next_;
  bool arrivals_done_ = false;
};

}  // namespace moesim::cluster
