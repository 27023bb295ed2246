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

Fleet::Fleet(engine::Engine& engine, const StepModel& model, ExpertBalance& prefill_experts,
             ExpertBalance& decode_experts, const Scenario& scenario, const observe::Signals& signals)
    : engine_(engine),
      model_(model),
      prefill_experts_(prefill_experts),
      decode_experts_(decode_experts),
      scenario_(scenario),
      signals_(signals),
      router_(policy::builtin_unit_routers().make(scenario.fleet.router, {.seed = scenario.seed})),
      seed_(scenario.seed),
      max_context_tokens_(model.decode_kv_capacity_tokens()) {
  std::tie(prefill_s_per_token_, prefill_s_per_pair_) =
      prefill_marginal_costs(model, scenario.geometry.prefill.gpus, scenario.fleet.prefill.chunk_tokens);
  prefill_done_.fleet = this;
  decode_done_.fleet = this;
  transfer_done_.fleet = this;
  unit_ready_.fleet = this;
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
  prefill_.add(std::make_unique<PrefillUnit>(id, UnitContext{engine_, pool_, signals_}, model_, prefill_experts_, shape,
                                             *prefill_balancers_.back(), prefill_done_));
  kv_links_.add_unit(shape.ranks);
  engine_.schedule_after(startup, unit_ready_, static_cast<uint64_t>(id));
  emit_size();
}

void Fleet::add_decode_unit(engine::Duration startup) {
  const auto& c = scenario_.fleet.decode;
  auto id = static_cast<int32_t>(decode_.size());
  const auto& g = scenario_.geometry.decode;
  DecodeUnitShape shape{g.gpus, g.nodes_per_unit, c.mtp, scenario_.slo.user_tokens_per_s};
  decode_balancers_.push_back(
      policy::builtin_decode_balancers().make(c.balancer, {.seed = scenario_.seed, .unit = id, .ranks = shape.ranks}));
  decode_.add(std::make_unique<DecodeUnit>(id, UnitContext{engine_, pool_, signals_}, model_, decode_experts_, shape,
                                           *decode_balancers_.back(), seed_, decode_done_));
  engine_.schedule_after(startup, unit_ready_, static_cast<uint64_t>(id) | kDecodeFlag);
  emit_size();
}

void Fleet::on_unit_ready(uint64_t payload) {
  if (payload & kDecodeFlag) {
    decode_.mark_serving(payload & ~kDecodeFlag);
    while (!undecoded_.empty() && decode_units_serving() > 0) {
      uint32_t id = undecoded_.pop(pool_);
      on_transfer_done(id);
    }
  } else {
    prefill_.mark_serving(payload);
    while (!unrouted_.empty()) {
      uint32_t id = unrouted_.pop(pool_);
      counts_.waiting_for_unit -= 1;
      route_to_prefill(id);
    }
  }
  emit_size();
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
  counts_.rejected += 1;
  counts_.rejected_input_tokens += r.input_tokens;
  counts_.rejected_output_tokens += r.output_tokens;
  signals_.request_done({r.arrival_ns, -1, -1, engine_.now().ns(), r.input_tokens, r.cached_tokens, r.output_tokens,
                         r.model, true, reason, r.serial, 0});
}

void Fleet::arrive(const RequestRecord& request) {
  counts_.arrived += 1;
  counts_.arrived_input_tokens += request.input_tokens;
  counts_.arrived_output_tokens += request.output_tokens;
  RequestRecord r = request;
  r.serial = next_serial_++;
  // The last prompt token is always computed: it produces the first output token.
  r.cached_tokens = std::min(r.cached_tokens, r.input_tokens - 1);
  if (static_cast<double>(r.input_tokens) + r.output_tokens > max_context_tokens_) {
    reject(r, "context longer than a decode GPU's KV capacity");
    return;
  }
  counts_.in_flight_input_tokens += r.input_tokens;
  counts_.in_flight_output_tokens += r.output_tokens;
  prefill_offered_tokens_ += r.input_tokens - r.cached_tokens;
  uint32_t id = pool_.add(r);
  route_to_prefill(id);
}

void Fleet::route_to_prefill(uint32_t id) {
  prefill_views_.resize(prefill_.size());
  for (size_t i = 0; i < prefill_.size(); ++i) {
    bool serving = prefill_.is_serving(i);
    prefill_views_[i] = {serving, serving ? prefill_.unit(i).queued_tokens() : 0};
  }
  const auto& r = pool_[id];
  int64_t unit = router_->pick_prefill(prefill_views_, {r.new_tokens(), r.input_tokens});
  if (unit < 0) {
    unrouted_.push(pool_, id);
    counts_.waiting_for_unit += 1;
    return;
  }
  counts_.in_prefill += 1;
  prefill_.unit(static_cast<size_t>(unit)).enqueue(id);
}

void Fleet::on_prefill_done(uint32_t id) {
  auto& r = pool_[id];
  counts_.in_prefill -= 1;
  counts_.in_transfer += 1;
  decode_offered_ += 1;
  // The prompt's KV goes from the prefill GPU's NIC to the decode side; transfers from one GPU queue behind each
  // other.
  int64_t done_ns = kv_links_.reserve(r.prefill_unit, r.prefill_rank, engine_.now().ns(),
                                      engine::Duration::from_seconds(model_.kv_transfer_s(r.input_tokens)).ns());
  engine_.schedule_at(engine::Time::from_ns(done_ns), transfer_done_, id);
  if (draining()) retire_drained();
}

void Fleet::on_transfer_done(uint32_t id) {
  decode_views_.resize(decode_.size());
  for (size_t i = 0; i < decode_.size(); ++i) {
    const auto& u = decode_.unit(i);
    decode_views_[i] = decode_.is_serving(i) ? policy::DecodeUnitView{true, u.active(), u.waiting(), u.capacity()}
                                             : policy::DecodeUnitView{};
  }
  int64_t unit = router_->pick_decode(decode_views_, {pool_[id].input_tokens + 1});
  if (unit < 0) {
    undecoded_.push(pool_, id);
    return;
  }
  // A request comes here once from its transfer, and again only if it had to wait for a decode unit to serve.
  counts_.in_transfer -= 1;
  counts_.in_decode += 1;
  decode_.unit(static_cast<size_t>(unit)).enqueue(id);
}

void Fleet::on_finished(uint32_t id) {
  const auto& r = pool_[id];
  counts_.in_decode -= 1;
  counts_.completed += 1;
  counts_.in_flight_input_tokens -= r.input_tokens;
  counts_.in_flight_output_tokens -= r.output_tokens;
  signals_.request_done({r.arrival_ns, r.first_token_ns, r.decode_admit_ns, r.finish_ns, r.input_tokens,
                         r.cached_tokens, r.output_tokens, r.model, false, nullptr, r.serial, r.decode_steps});
  pool_.release(id);
  if (draining()) retire_drained();
}

void Fleet::emit_size() const {
  signals_.fleet_size(
      {engine_.now().ns(), prefill_nodes(), decode_nodes(), prefill_units_serving(), decode_units_serving()});
}

}  // namespace moesim::cluster
