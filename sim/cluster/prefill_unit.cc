#include "sim/cluster/prefill_unit.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace moesim::cluster {

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

namespace {
constexpr uint64_t kStepEnd = 0;
constexpr uint64_t kWake = 1;
}  // namespace

PrefillUnit::PrefillUnit(int32_t id, UnitContext<PrefillPool> ctx, const StepModel& model, ExpertBalance& experts,
                         PrefillUnitShape shape, policy::PrefillBalancer& balancer, RequestSink& done)
    : id_(id),
      ctx_(ctx),
      model_(model),
      experts_(experts),
      shape_(shape),
      balancer_(balancer),
      done_(done),
      ranks_(static_cast<size_t>(shape.ranks)),
      views_(static_cast<size_t>(shape.ranks)),
      loads_(static_cast<size_t>(shape.ranks)),
      node_disk_free_ns_(static_cast<size_t>(shape.nodes), 0) {}

void PrefillUnit::enqueue(uint32_t id) {
  auto& r = ctx_.pool[id];
  policy::PrefillRequestView q{r.new_tokens(), r.input_tokens};
  size_t rank = balancer_.pick(views_, q);
  balancer_.admit(rank, q);
  auto& rk = ranks_[rank];
  auto& view = views_[rank];
  view.queued_tokens += q.new_tokens;
  view.queued_attention += q.attention();
  view.queued_requests += 1;
  queued_tokens_ += q.new_tokens;
  queued_requests_ += 1;
  r.prefill_unit = id_;
  r.prefill_rank = static_cast<int32_t>(rank);
  // The cached prefix is read from the disk cache into the rank's node; reads on one node queue behind each other
  // and overlap other requests' computation, never this request's own.
  int64_t now = ctx_.engine.now().ns();
  if (r.cached_tokens > 0) {
    auto& link = node_disk_free_ns_[rank * static_cast<size_t>(shape_.nodes) / ranks_.size()];
    link = std::max(link, now) + engine::Duration::from_seconds(model_.kv_load_s(r.cached_tokens)).ns();
    r.kv_ready_ns = link;
  } else {
    r.kv_ready_ns = now;
  }
  rk.queue.push_back({id, r.kv_ready_ns});
  try_start_step();
}

void PrefillUnit::try_start_step() {
  if (stepping_) return;
  int64_t now = ctx_.engine.now().ns();
  chunks_.clear();
  int64_t total_tokens = 0;
  int64_t earliest_wait = std::numeric_limits<int64_t>::max();
  double max_attention = 0.0;
  double sum_attention = 0.0;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    auto& rk = ranks_[i];
    PrefillRankLoad load;
    int64_t budget = shape_.chunk_tokens;
    // A step's attention on one rank is bounded too, at the pairs of one fresh prompt of chunk_tokens tokens: a
    // chunk that attends to a long cached prefix is cut shorter, so one long context does not stall the whole unit.
    double pair_budget = static_cast<double>(shape_.chunk_tokens) * static_cast<double>(shape_.chunk_tokens + 1) / 2;
    for (size_t q = 0; q < rk.queue.size() && budget > 0 && pair_budget > 0; ++q) {
      if (rk.queue[q].kv_ready_ns > now) {
        earliest_wait = std::min(earliest_wait, rk.queue[q].kv_ready_ns);
        continue;
      }
      auto& r = ctx_.pool[rk.queue[q].request];
      int64_t remaining = r.new_tokens() - r.computed_tokens;
      double before = static_cast<double>(r.cached_tokens + r.computed_tokens);
      // At least one token for the rank's first chunk.
      auto fit = static_cast<int64_t>(chunk_within_pairs(before, pair_budget));
      if (fit < 1 && load.new_tokens > 0) break;
      int64_t take = std::min({remaining, budget, std::max<int64_t>(fit, 1)});
      double t = static_cast<double>(take);
      load.new_tokens += take;
      double pairs = t * before + t * (t + 1.0) / 2.0;
      load.attention += pairs;
      load.sequences += 1;
      budget -= take;
      pair_budget -= pairs;
      chunks_.push_back({rk.queue[q].request, static_cast<int32_t>(i), static_cast<int32_t>(take)});
      rk.touched_end = q + 1;
    }
    loads_[i] = load;
    total_tokens += load.new_tokens;
    max_attention = std::max(max_attention, load.attention);
    sum_attention += load.attention;
  }
  if (chunks_.empty()) {
    if (earliest_wait != std::numeric_limits<int64_t>::max() && !wake_pending_) {
      wake_pending_ = true;
      ctx_.engine.schedule_at(engine::Time::from_ns(earliest_wait), *this, kWake);
    }
    return;
  }
  double tokens_per_gpu = static_cast<double>(total_tokens) / static_cast<double>(ranks_.size());
  double factor = experts_.max_factor(tokens_per_gpu, ctx_.engine.now());
  auto duration = engine::Duration::from_seconds(model_.prefill_step_s(loads_, factor));
  stepping_ = true;
  step_start_ns_ = now;
  busy_ += duration;
  ctx_.signals.prefill_step(
      {now, duration.ns(), id_, total_tokens, static_cast<int64_t>(chunks_.size()),
       max_attention > 0 ? sum_attention / static_cast<double>(ranks_.size()) / max_attention : 1.0, 1.0 / factor, 0.0,
       sum_attention, 0});
  ctx_.engine.schedule_after(duration, *this, kStepEnd);
}

void PrefillUnit::finish_step() {
  stepping_ = false;
  int64_t now = ctx_.engine.now().ns();
  for (const auto& c : chunks_) {
    auto& r = ctx_.pool[c.request];
    r.computed_tokens += c.tokens;
    auto& view = views_[static_cast<size_t>(c.rank)];
    view.queued_tokens -= c.tokens;
    queued_tokens_ -= c.tokens;
    double before = static_cast<double>(r.cached_tokens + r.computed_tokens - c.tokens);
    double t = static_cast<double>(c.tokens);
    double pairs = t * before + t * (t + 1.0) / 2.0;
    view.queued_attention -= pairs;
    balancer_.progress(static_cast<size_t>(c.rank), c.tokens, pairs);
  }
  // Drop finished requests from the rank queues, keeping the order of the rest. Only the prefix a step touched
  // can hold finished ones, so this is O(requests touched) unless something finished.
  for (auto& rk : ranks_) {
    size_t write = 0;
    size_t read = 0;
    for (; read < rk.touched_end; ++read) {
      const auto& e = rk.queue[read];
      // A request still loading its prefix when the step began got no chunk (and is not read); the rest may be done.
      if (e.kv_ready_ns > step_start_ns_ || ctx_.pool[e.request].computed_tokens < ctx_.pool[e.request].new_tokens()) {
        rk.queue[write++] = e;
      }
    }
    if (write != read) {
      for (; read < rk.queue.size(); ++read) rk.queue[write++] = rk.queue[read];
      rk.queue.resize(write);
    }
    rk.touched_end = 0;
  }
  for (const auto& c : chunks_) {
    auto& r = ctx_.pool[c.request];
    if (r.computed_tokens >= r.new_tokens() && r.first_token_ns < 0) {
      r.first_token_ns = now;
      views_[static_cast<size_t>(c.rank)].queued_requests -= 1;
      queued_requests_ -= 1;
      balancer_.finish(static_cast<size_t>(c.rank), {r.new_tokens(), r.input_tokens});
      done_.accept(c.request);
    }
  }
  try_start_step();
}

void PrefillUnit::on_event(uint64_t payload) {
  if (payload == kWake) {
    wake_pending_ = false;
    try_start_step();
  } else {
    finish_step();
  }
}

}  // namespace moesim::cluster
