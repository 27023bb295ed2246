#include "sim/cluster/fleet.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

namespace moesim::cluster {

namespace {
constexpr uint64_t kDecodeFlag = 1ULL << 63;  // payload bit: the ready unit is a decode unit

// The marginal prefill step cost of one new token and of one attention pair: finite differences of the step model
// around a full chunk of fresh tokens on every rank (every rank alike, so the slowest rank is any rank).
std::pair<double, double> prefill_marginal_costs(const StepModel& model, int64_t ranks, int64_t chunk) {
  if (ranks <= 0) return {0.0, 0.0};
  auto step = [&](double tokens, double pairs) {
    std::vector<PrefillRankLoad> loads(static_cast<size_t>(ranks),
                                       PrefillRankLoad{static_cast<int64_t>(tokens), pairs, 1});
    return model.prefill_step_s(loads, 1.0);
  };
  double t = static_cast<double>(chunk);
  double p = t * (t + 1.0) / 2.0;
  double base = step(t, p);
  return {std::max(0.0, (step(2.0 * t, p) - base) / t), std::max(0.0, (step(t, 2.0 * p) - base) / p)};
}
}  // namespace

Fleet::Fleet(engine::Engine& prefill_engine, engine::Engine& decode_engine, const StepModel& model,
             ExpertBalance& prefill_experts, ExpertBalance& decode_experts, const Scenario& scenario,
             const observe::Signals& signals)
    : prefill_engine_(prefill_engine),
      decode_engine_(decode_engine),
      model_(model),
      prefill_experts_(prefill_experts),
      decode_experts_(decode_experts),
      scenario_(scenario),
      signals_(signals),
      router_(policy::builtin_unit_routers().make(scenario.fleet.router, {.seed = scenario.seed})),
      seed_(scenario.seed),
      mtp_(scenario.fleet.decode.mtp),
      mtp_acceptance_(model.mtp_acceptance()),
      max_context_tokens_(model.decode_kv_capacity_tokens()) {
  std::tie(prefill_s_per_token_, prefill_s_per_pair_) =
      prefill_marginal_costs(model, scenario.geometry.prefill.gpus, scenario.fleet.prefill.chunk_tokens);
  prefill_done_.fleet = this;
  decode_done_.fleet = this;
  unit_ready_.fleet = this;
  tap_.fleet = this;
  prefill_signals_.subscribe(&tap_);
  for (int64_t i = 0; i < scenario.fleet.prefill.units; ++i) add_prefill_unit(engine::Duration{});
  for (int64_t i = 0; i < scenario.fleet.decode.units; ++i) add_decode_unit(engine::Duration{});
}

Fleet::~Fleet() = default;

void Fleet::add_prefill_unit(engine::Duration startup) {
  const auto& c = scenario_.fleet.prefill;
  auto id = static_cast<int32_t>(prefill_.size());
  const auto& g = scenario_.geometry.prefill;
  PrefillUnitShape shape{g.gpus, g.nodes_per_unit, c.chunk_tokens};
  prefill_balancers_.push_back(
      policy::builtin_prefill_balancers().make(c.balancer, {.seed = scenario_.seed,
                                                            .unit = id,
                                                            .ranks = shape.ranks,
                                                            .prefill_s_per_token = prefill_s_per_token_,
                                                            .prefill_s_per_pair = prefill_s_per_pair_}));
  prefill_.add(std::make_unique<PrefillUnit>(id, UnitContext{prefill_engine_, pool_, prefill_signals_}, model_,
                                             prefill_experts_, shape, *prefill_balancers_.back(), prefill_done_));
  kv_links_.add_unit(shape.ranks);
  prefill_engine_.schedule_after(startup, unit_ready_, static_cast<uint64_t>(id));
  emit_size();
}

void Fleet::add_decode_unit(engine::Duration startup) {
  const auto& c = scenario_.fleet.decode;
  auto id = static_cast<int32_t>(decode_.size());
  const auto& g = scenario_.geometry.decode;
  DecodeUnitShape shape{g.gpus, g.nodes_per_unit, c.mtp, scenario_.slo.user_tokens_per_s};
  decode_balancers_.push_back(
      policy::builtin_decode_balancers().make(c.balancer, {.seed = scenario_.seed, .unit = id, .ranks = shape.ranks}));
  decode_.add(std::make_unique<DecodeUnit>(id, UnitContext{decode_engine_, pool_, signals_}, model_, decode_experts_,
                                           shape, *decode_balancers_.back(), seed_, decode_done_));
  decode_engine_.schedule_after(startup, unit_ready_, static_cast<uint64_t>(id) | kDecodeFlag);
  emit_size();
}

void Fleet::on_unit_ready(uint64_t payload) {
  if (payload & kDecodeFlag) {
    decode_.mark_serving(payload & ~kDecodeFlag);
    while (!undecoded_.empty() && decode_units_serving() > 0) {
      uint32_t id = undecoded_.pop(pool_);
      on_transfer_done(id, pool_[id].decode_input_tokens + 1);
    }
    emit_decode_size();
  } else {
    prefill_.mark_serving(payload);
    while (!unrouted_.empty()) {
      uint32_t id = unrouted_.pop(pool_);
      prefill_counts_.waiting_for_unit -= 1;
      route_to_prefill(id, {pool_[id].new_tokens(), pool_[id].input_tokens});
    }
    emit_prefill_size();
  }
}

bool Fleet::drain_prefill_unit() {
  bool ok = prefill_.drain_newest();
  if (ok) retire_drained();
  return ok;
}

bool Fleet::drain_decode_unit() {
  bool ok = decode_.drain_newest();
  if (ok) retire_drained();
  return ok;
}

void Fleet::retire_drained() {
  bool prefill_left = prefill_.retire_idle();
  bool decode_left = decode_.retire_idle();
  if (prefill_left || decode_left) emit_size();
}

void Fleet::reject(const RequestRecord& r, const char* reason) {
  prefill_counts_.rejected += 1;
  prefill_counts_.rejected_input_tokens += r.input_tokens;
  prefill_counts_.rejected_output_tokens += r.output_tokens;
  prefill_signals_.request_done({r.arrival_ns, -1, -1, prefill_engine_.now().ns(), r.input_tokens, r.cached_tokens,
                                 r.output_tokens, r.model, true, reason, r.serial, 0});
}

void Fleet::arrivals_end() { prefill_signals_out_.push({prefill_engine_.now().ns(), ArrivalsEnd{prefill_counts_.arrived}}); }

void Fleet::arrive(const RequestRecord& request) {
  prefill_counts_.arrived += 1;
  prefill_counts_.arrived_input_tokens += request.input_tokens;
  prefill_counts_.arrived_output_tokens += request.output_tokens;
  RequestRecord r = request;
  r.serial = next_serial_++;
  // The last prompt token is always computed: it produces the first output token.
  r.cached_tokens = std::min(r.cached_tokens, r.input_tokens - 1);
  if (static_cast<double>(r.input_tokens) + r.output_tokens > max_context_tokens_) {
    reject(r, "context longer than a decode GPU's KV capacity");
    return;
  }
  prefill_counts_.in_flight_input_tokens += r.input_tokens;
  prefill_counts_.in_flight_output_tokens += r.output_tokens;
  prefill_offered_tokens_ += r.input_tokens - r.cached_tokens;
  uint32_t id = pool_.add_arrival(r);  // the first line only: the second is the decode side's
  route_to_prefill(id, {r.new_tokens(), r.input_tokens});  // from the copy: the record's line may still be on its way
}

void Fleet::route_to_prefill(uint32_t id, const policy::PrefillRequestView& request) {
  prefill_views_.resize(prefill_.size());
  for (size_t i = 0; i < prefill_.size(); ++i) {
    bool serving = prefill_.is_serving(i);
    prefill_views_[i] = {serving, serving ? prefill_.unit(i).queued_tokens() : 0};
  }
  int64_t unit = router_->pick_prefill(prefill_views_, request);
  if (unit < 0) {
    unrouted_.push(pool_, id);
    prefill_counts_.waiting_for_unit += 1;
    return;
  }
  prefill_counts_.in_prefill += 1;
  prefill_.unit(static_cast<size_t>(unit)).enqueue(id);
}

void Fleet::on_prefill_done(uint32_t id) {
  auto& r = pool_[id];
  prefill_counts_.in_prefill -= 1;
  prefill_counts_.in_transfer += 1;
  decode_offered_ += 1;
  // The prompt's KV goes from the prefill GPU's NIC to the decode side; transfers from one GPU queue behind each
  // other. The decode side takes the request over when its transfer ends.
  int64_t done_ns = kv_links_.reserve(r.prefill_unit, r.prefill_rank, prefill_engine_.now().ns(),
                                      engine::Duration::from_seconds(model_.kv_transfer_s(r.input_tokens)).ns());
  // Its MTP draws are made here, on the prefill side, which has the lighter load of the two.
  auto steps = draw_decode_steps(seed_, r.serial, r.output_tokens - 1, mtp_, mtp_acceptance_);
  transfers_.push({prefill_engine_.now().ns(), done_ns, id, r.input_tokens, r.output_tokens,
                   static_cast<int32_t>(steps), r.cached_tokens, r.arrival_ns, r.serial, r.model});
  if (prefill_.draining() > 0 && prefill_.retire_idle()) emit_prefill_size();
}

void Fleet::on_transfer_done(uint32_t id, int64_t kv_tokens) {
  decode_views_.resize(decode_.size());
  for (size_t i = 0; i < decode_.size(); ++i) {
    const auto& u = decode_.unit(i);
    decode_views_[i] = decode_.is_serving(i) ? policy::DecodeUnitView{true, u.active(), u.waiting(), u.capacity()}
                                             : policy::DecodeUnitView{};
  }
  int64_t unit = router_->pick_decode(decode_views_, {kv_tokens});
  if (unit < 0) {
    undecoded_.push(pool_, id);
    return;
  }
  // A request comes here once from its transfer, and again only if it had to wait for a decode unit to serve.
  decode_counts_.in_transfer -= 1;
  decode_counts_.in_decode += 1;
  decode_.unit(static_cast<size_t>(unit)).enqueue(id);
}

void Fleet::on_finished(uint32_t id) {
  const auto& r = pool_[id];
  decode_counts_.in_decode -= 1;
  decode_counts_.completed += 1;
  decode_counts_.in_flight_input_tokens -= r.decode_input_tokens;
  decode_counts_.in_flight_output_tokens -= r.decode_output_tokens;
  last_left_ns_ = decode_engine_.now().ns();
  signals_.request_done({r.decode_arrival_ns, r.decode_first_token_ns, r.decode_admit_ns, r.finish_ns,
                         r.decode_input_tokens, r.decode_cached_tokens, r.decode_output_tokens, r.decode_model, false,
                         nullptr, r.decode_serial, r.decode_steps});
  pool_.release(id);
  if (decode_.draining() > 0 && decode_.retire_idle()) emit_decode_size();
}

RequestCounts Fleet::counts() const {
  RequestCounts c = prefill_counts_;
  const RequestCounts& d = decode_counts_;
  c.completed += d.completed;
  c.in_transfer += d.in_transfer;
  c.in_decode += d.in_decode;
  c.in_flight_input_tokens += d.in_flight_input_tokens;
  c.in_flight_output_tokens += d.in_flight_output_tokens;
  return c;
}

Fleet::DecodeNext Fleet::decode_next(int64_t limit_ns, int64_t& next_ns) {
  const PrefillSignal* s = prefill_signals_out_.front();
  int64_t signal_ns = s != nullptr ? s->time_ns : INT64_MAX;
  int64_t transfer_ns = arrived_transfers_.empty() ? INT64_MAX : arrived_transfers_.peek_time().ns();
  int64_t own_ns = decode_engine_.peek_time().ns();
  int64_t next = std::min({signal_ns, transfer_ns, own_ns});
  // Take over the transfers handed over by then (one ends no earlier than it began), and no more: taken just in
  // time, the queue stays small, and the record each will write is fetched while the transfer runs.
  while (const Transfer* t = transfers_.front()) {
    if (t->start_ns > next) break;
    __builtin_prefetch(&pool_[t->id].decode_admit_ns, 1);
    arrived_transfers_.push({engine::Time::from_ns(t->done_ns), transfers_taken_++, *t});
    if (t->done_ns < next) next = transfer_ns = t->done_ns;
    transfers_.pop();
  }
  if (next >= limit_ns) {
    next_ns = next;
    return DecodeNext::kNothingDue;
  }
  if (signal_ns == next) {
    PrefillSignal copy = *s;
    prefill_signals_out_.pop();
    replay(copy);
  } else if (transfer_ns == next) {
    const Transfer t = arrived_transfers_.pop().value;
    // The record's second line, written (not read) here: the decode side's from now on.
    RequestRecord& r = pool_[t.id];
    r.decode_admit_ns = -1;
    r.finish_ns = -1;
    r.kv_base = 0.0;
    r.kv_rate = 0.0;
    r.decode_steps = t.decode_steps;
    r.decode_input_tokens = t.input_tokens;
    r.decode_output_tokens = t.output_tokens;
    r.decode_unit = -1;
    r.decode_rank = -1;
    r.next = kNoRequest;
    r.decode_arrival_ns = t.arrival_ns;
    r.decode_first_token_ns = t.start_ns;  // its prefill ended, and its transfer began, with the first token
    r.decode_serial = t.serial;
    r.decode_cached_tokens = t.cached_tokens;
    r.decode_model = t.model;
    decode_engine_.advance_to(engine::Time::from_ns(next));
    ++transfers_ended_;
    on_transfer_done(t.id, t.input_tokens + 1);
  } else {
    decode_engine_.step();
  }
  return all_left() ? DecodeNext::kAllLeft : DecodeNext::kRan;
}

bool Fleet::decode_side_empty() {
  return transfers_.front() == nullptr && prefill_signals_out_.front() == nullptr && arrived_transfers_.empty() &&
         decode_engine_.pending() == 0;
}

void Fleet::replay(const PrefillSignal& s) {
  if (const auto* size = std::get_if<PrefillSize>(&s.what)) {
    prefill_seen_ = *size;
    signals_.fleet_size({s.time_ns, size->nodes, decode_nodes(), size->units_serving, decode_units_serving()});
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

void Fleet::emit_size() {
  prefill_seen_ = {prefill_nodes(), prefill_units_serving()};
  int64_t now_ns = std::max(prefill_engine_.now().ns(), decode_engine_.now().ns());
  signals_.fleet_size({now_ns, prefill_nodes(), decode_nodes(), prefill_units_serving(), decode_units_serving()});
}

void Fleet::emit_prefill_size() const {
  prefill_signals_.fleet_size({prefill_engine_.now().ns(), prefill_nodes(), 0, prefill_units_serving(), 0});
}

void Fleet::emit_decode_size() const {
  signals_.fleet_size({decode_engine_.now().ns(), prefill_seen_.nodes, decode_nodes(), prefill_seen_.units_serving,
                       decode_units_serving()});
}

}  // namespace moesim::cluster
