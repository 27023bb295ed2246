#include "sim/cluster/prefill_side.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace moesim::cluster {

namespace {
constexpr uint64_t kArrival = UINT64_MAX;  // payload of the next arrival's event; others are a unit becoming ready
}  // namespace

PrefillSide::PrefillSide(const Scenario& scenario, const StepModel& model, ExpertBalance& experts, KvLink& link)
    : scenario_(scenario),
      model_(model),
      experts_(experts),
      link_(link),
      router_(policy::builtin_unit_routers().make(scenario.fleet.router, {.seed = scenario.seed})),
      max_context_tokens_(model.decode_kv_capacity_tokens()),
      mtp_(scenario.fleet.decode.mtp),
      mtp_acceptance_(model.mtp_acceptance()) {
  std::tie(s_per_token_, s_per_pair_) =
      prefill_marginal_costs(model, scenario.geometry.prefill.gpus, scenario.fleet.prefill.chunk_tokens);
  done_.side = this;
  tap_.side = this;
  signals_.subscribe(&tap_);
}

PrefillSide::~PrefillSide() = default;

void PrefillSide::start(ArrivalSource& source, int64_t horizon_ns) {
  source_ = &source;
  horizon_ns_ = horizon_ns;
  pull_next_arrival();
}

void PrefillSide::pull_next_arrival() {
  while (source_->next(next_)) {
    if (next_.arrival_ns >= horizon_ns_) break;  // the run stops admitting at the horizon; the rest is not read
    if (next_.arrival_ns < engine_.now().ns()) next_.arrival_ns = engine_.now().ns();
    engine_.hold(engine::Time::from_ns(next_.arrival_ns), *this, kArrival);  // beside the queue
    return;
  }
  arrivals_done_ = true;
  link_.signal({engine_.now().ns(), ArrivalsEnd{counts_.arrived}});
}

void PrefillSide::on_event(uint64_t payload) {
  if (payload == kArrival) {
    arrive(next_);
    pull_next_arrival();
  } else {
    on_unit_ready(payload);
  }
}

void PrefillSide::add_unit(engine::Duration startup) {
  const auto& c = scenario_.fleet.prefill;
  const auto& g = scenario_.geometry.prefill;
  auto id = static_cast<int32_t>(units_.size());
  PrefillUnitShape shape{g.gpus, g.nodes_per_unit, c.chunk_tokens};
  balancers_.push_back(policy::builtin_prefill_balancers().make(c.balancer, {.seed = scenario_.seed,
                                                                             .unit = id,
                                                                             .ranks = shape.ranks,
                                                                             .prefill_s_per_token = s_per_token_,
                                                                             .prefill_s_per_pair = s_per_pair_}));
  units_.add(std::make_unique<PrefillUnit>(id, UnitContext<PrefillPool>{engine_, pool_, signals_}, model_, experts_,
                                           shape, *balancers_.back(), done_));
  nics_.add_unit(shape.ranks);
  engine_.schedule_after(startup, *this, static_cast<uint64_t>(id));
}

bool PrefillSide::drain_unit() { return units_.drain_newest(); }

void PrefillSide::on_unit_ready(uint64_t unit) {
  units_.mark_serving(unit);
  while (!unrouted_.empty()) {
    uint32_t id = unrouted_.pop(pool_);
    counts_.waiting_for_unit -= 1;
    route(id);
  }
  signal_size();
}

void PrefillSide::signal_size() const { signals_.fleet_size({engine_.now().ns(), nodes(), 0, units_serving(), 0}); }

void PrefillSide::reject(const PrefillRecord& r, const char* reason) {
  counts_.rejected += 1;
  counts_.rejected_input_tokens += r.input_tokens;
  counts_.rejected_output_tokens += r.output_tokens;
  signals_.request_done({r.arrival_ns, -1, -1, engine_.now().ns(), r.input_tokens, r.cached_tokens, r.output_tokens,
                         r.model, true, reason, r.serial, 0});
}

void PrefillSide::arrive(const PrefillRecord& request) {
  counts_.arrived += 1;
  counts_.arrived_input_tokens += request.input_tokens;
  counts_.arrived_output_tokens += request.output_tokens;
  PrefillRecord r = request;
  r.serial = next_serial_++;
  // The last prompt token is always computed: it produces the first output token.
  r.cached_tokens = std::min(r.cached_tokens, r.input_tokens - 1);
  if (static_cast<double>(r.input_tokens) + r.output_tokens > max_context_tokens_) {
    reject(r, "context longer than a decode GPU's KV capacity");
    return;
  }
  counts_.in_flight_input_tokens += r.input_tokens;
  counts_.in_flight_output_tokens += r.output_tokens;
  offered_tokens_ += r.input_tokens - r.cached_tokens;
  offered_sequences_ += 1;
  route(pool_.add(r));
}

void PrefillSide::route(uint32_t id) {
  views_.resize(units_.size());
  for (size_t i = 0; i < units_.size(); ++i) {
    bool serving = units_.is_serving(i);
    views_[i] = {serving, serving ? units_.unit(i).queued_tokens() : 0};
  }
  const auto& r = pool_[id];
  int64_t unit = router_->pick_prefill(views_, {r.new_tokens(), r.input_tokens});
  if (unit < 0) {
    unrouted_.push(pool_, id);
    counts_.waiting_for_unit += 1;
    return;
  }
  counts_.in_prefill += 1;
  units_.unit(static_cast<size_t>(unit)).enqueue(id);
}

void PrefillSide::on_prefill_done(uint32_t id) {
  const auto& r = pool_[id];
  counts_.in_prefill -= 1;
  counts_.in_transfer += 1;  // the decode side counts it out when its transfer ends
  sent_sequences_ += 1;
  // The prompt's KV goes from the prefill GPU's NIC to the decode side; transfers from one GPU queue behind each
  // other. Its MTP draws are made here, on the side with the lighter load of the two.
  const int64_t now = engine_.now().ns();
  int64_t done_ns = nics_.reserve(r.prefill_unit, r.prefill_rank, now,
                                  engine::Duration::from_seconds(model_.kv_transfer_s(r.input_tokens)).ns());
  auto steps = draw_decode_steps(scenario_.seed, r.serial, r.output_tokens - 1, mtp_, mtp_acceptance_);
  link_.send({now, done_ns, r.input_tokens, r.output_tokens, static_cast<int32_t>(steps), r.cached_tokens, r.arrival_ns,
              r.serial, r.model});
  pool_.release(id);
  if (units_.draining() > 0 && units_.retire_idle()) signal_size();
}

}  // namespace moesim::cluster
