#include "sim/cluster/decode_side.h"

#include <algorithm>

namespace moesim::cluster {

DecodeSide::DecodeSide(const Scenario& scenario, const StepModel& model, ExpertBalance& experts, KvLink& link,
                       const observe::Signals& signals)
    : scenario_(scenario),
      model_(model),
      experts_(experts),
      link_(link),
      signals_(signals),
      router_(policy::builtin_unit_routers().make(scenario.fleet.router, {.seed = scenario.seed})) {
  done_.side = this;
}

DecodeSide::~DecodeSide() = default;

void DecodeSide::add_unit(engine::Duration startup) {
  const auto& c = scenario_.fleet.decode;
  const auto& g = scenario_.geometry.decode;
  auto id = static_cast<int32_t>(units_.size());
  DecodeUnitShape shape{g.gpus, g.nodes_per_unit, c.mtp, scenario_.slo.user_tokens_per_s};
  balancers_.push_back(
      policy::builtin_decode_balancers().make(c.balancer, {.seed = scenario_.seed, .unit = id, .ranks = shape.ranks}));
  units_.add(std::make_unique<DecodeUnit>(id, UnitContext<DecodePool>{engine_, pool_, signals_}, model_, experts_,
                                          shape, *balancers_.back(), scenario_.seed, done_));
  engine_.schedule_after(startup, *this, static_cast<uint64_t>(id));
}

bool DecodeSide::drain_unit() { return units_.drain_newest(); }

void DecodeSide::on_event(uint64_t unit) {
  units_.mark_serving(unit);
  while (!undecoded_.empty() && units_serving() > 0) {
    uint32_t id = undecoded_.pop(pool_);
    route(id, pool_[id].input_tokens + 1);
  }
  signal_size();
}

DecodeSide::Next DecodeSide::next(int64_t limit_ns, int64_t& next_ns) {
  const PrefillSignal* s = link_.signal();
  int64_t signal_ns = s != nullptr ? s->time_ns : INT64_MAX;
  int64_t transfer_ns = in_flight_.empty() ? INT64_MAX : in_flight_.peek_time().ns();
  int64_t own_ns = engine_.peek_time().ns();
  int64_t next = std::min({signal_ns, transfer_ns, own_ns});
  // Take the transfers sent by then (one ends no earlier than it began), and no more: taken just in time, the queue
  // stays small.
  while (const KvTransfer* t = link_.transfer()) {
    if (t->start_ns > next) break;
    in_flight_.push({engine::Time::from_ns(t->done_ns), transfers_taken_++, *t});
    if (t->done_ns < next) next = transfer_ns = t->done_ns;
    link_.pop_transfer();
  }
  if (next >= limit_ns) {
    next_ns = next;
    return Next::kNothingDue;
  }
  if (signal_ns == next) {
    PrefillSignal copy = *s;
    link_.pop_signal();
    replay(copy);
  } else if (transfer_ns == next) {
    const KvTransfer t = in_flight_.pop().value;
    engine_.advance_to(engine::Time::from_ns(next));
    ++transfers_ended_;
    take(t);
  } else {
    engine_.step();
  }
  return all_left() ? Next::kAllLeft : Next::kRan;
}

void DecodeSide::take(const KvTransfer& t) {
  DecodeRecord r;
  r.steps = t.decode_steps;
  r.input_tokens = t.input_tokens;
  r.output_tokens = t.output_tokens;
  r.arrival_ns = t.arrival_ns;
  r.first_token_ns = t.start_ns;
  r.serial = t.serial;
  r.cached_tokens = t.cached_tokens;
  r.model = t.model;
  route(pool_.add(r), t.input_tokens + 1);
}

bool DecodeSide::empty() {
  return link_.transfer() == nullptr && link_.signal() == nullptr && in_flight_.empty() && engine_.pending() == 0;
}

void DecodeSide::route(uint32_t id, int64_t kv_tokens) {
  views_.resize(units_.size());
  for (size_t i = 0; i < units_.size(); ++i) {
    const auto& u = units_.unit(i);
    views_[i] = units_.is_serving(i) ? policy::DecodeUnitView{true, u.active(), u.waiting(), u.capacity()}
                                     : policy::DecodeUnitView{};
  }
  int64_t unit = router_->pick_decode(views_, {kv_tokens});
  if (unit < 0) {
    undecoded_.push(pool_, id);
    return;
  }
  // A request comes here once from its transfer, and again only if it had to wait for a unit to serve.
  counts_.in_transfer -= 1;
  counts_.in_decode += 1;
  units_.unit(static_cast<size_t>(unit)).enqueue(id);
}

void DecodeSide::on_finished(uint32_t id) {
  const auto& r = pool_[id];
  counts_.in_decode -= 1;
  counts_.completed += 1;
  counts_.in_flight_input_tokens -= r.input_tokens;
  counts_.in_flight_output_tokens -= r.output_tokens;
  last_left_ns_ = engine_.now().ns();
  signals_.request_done({r.arrival_ns, r.first_token_ns, r.admit_ns, r.finish_ns, r.input_tokens, r.cached_tokens,
                         r.output_tokens, r.model, false, nullptr, r.serial, r.steps});
  pool_.release(id);
  if (units_.draining() > 0 && units_.retire_idle()) signal_size();
}

void DecodeSide::replay(const PrefillSignal& s) {
  if (const auto* size = std::get_if<PrefillSize>(&s.what)) {
    prefill_seen_ = *size;
    signals_.fleet_size({s.time_ns, size->nodes, nodes(), size->units_serving, units_serving()});
  } else if (const auto* step = std::get_if<observe::StepDone>(&s.what)) {
    signals_.prefill_step(*step);
  } else if (const auto* done = std::get_if<observe::RequestDone>(&s.what)) {
    rejected_seen_ += 1;  // the prefill side's requests leave only by rejection
    last_left_ns_ = s.time_ns;
    signals_.request_done(*done);
  } else if (const auto* end = std::get_if<ArrivalsEnd>(&s.what)) {
    arrivals_ended_ = true;
    arrived_total_ = end->arrived;
  }
}

void DecodeSide::signal_size() const {
  signals_.fleet_size({engine_.now().ns(), prefill_seen_.nodes, nodes(), prefill_seen_.units_serving, units_serving()});
}

}  // namespace moesim::cluster
