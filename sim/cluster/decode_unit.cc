#include "sim/cluster/decode_unit.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>

#include "common/round.h"

namespace moesim::cluster {

namespace {
// The batch cap is recomputed every this many steps: the mean KV length of a unit drifts slowly.
constexpr int64_t kCapRefreshSteps = 64;
}  // namespace

DecodeUnit::DecodeUnit(int32_t id, UnitContext<DecodePool> ctx, const StepModel& model, ExpertBalance& experts,
                       DecodeUnitShape shape, policy::DecodeBalancer& balancer, uint64_t seed, RequestSink& done)
    : id_(id),
      ctx_(ctx),
      model_(model),
      experts_(experts),
      shape_(shape),
      balancer_(balancer),
      seed_(seed),
      done_(done),
      ranks_(static_cast<size_t>(shape.ranks)),
      views_(static_cast<size_t>(shape.ranks)),
      loads_(static_cast<size_t>(shape.ranks)),
      kv_capacity_(model.decode_kv_capacity_tokens()),
      tokens_per_step_(shape.mtp ? 1.0 + model.mtp_acceptance() : 1.0) {
  update_batch_cap();
}

void DecodeUnit::enqueue(uint32_t request) {
  waiting_.push(ctx_.pool, request);
  if (!stepping_) start_step();
}

int64_t largest_passing_batch(const std::function<bool(int64_t)>& ok, int64_t start, int64_t max_batch) {
  int64_t lo = 0;          // largest batch known to pass (0: none)
  int64_t hi = max_batch;  // every batch above hi is known to fail (or is past the search's end)
  int64_t probe = std::clamp<int64_t>(start, 1, max_batch);
  if (ok(probe)) {
    lo = probe;
    for (int64_t step = 1; lo < max_batch; step *= 2) {
      int64_t next = std::min(lo + step, max_batch);
      if (!ok(next)) {
        hi = next - 1;
        break;
      }
      lo = next;
    }
  } else {
    hi = probe - 1;
    for (int64_t step = 1; hi >= 1; step *= 2) {
      int64_t next = std::max<int64_t>(hi - step + 1, 1);
      if (ok(next)) {
        lo = next;
        break;
      }
      hi = next - 1;
    }
  }
  if (lo == 0) return 0;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (ok(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

void DecodeUnit::update_batch_cap() {
  // The largest batch per rank whose step keeps per-user speed at the SLO, at the unit's current mean KV length
  // (or, when empty, the KV of the first requests waiting; 4,096 as a neutral start).
  double kv_mean = 4096.0;
  if (active_ > 0) {
    double kv = 0.0;
    for (const auto& r : ranks_) kv += r.kv_at(step_);
    kv_mean = kv / static_cast<double>(active_);
  } else if (!waiting_.empty()) {
    kv_mean = ctx_.pool[waiting_.front()].input_tokens + 1.0;
  }
  double target_s = tokens_per_step_ / shape_.slo_tokens_per_s;
  auto ok = [&](int64_t b) {
    double tokens_per_gpu = static_cast<double>(b) * (shape_.mtp ? 2.0 : 1.0);
    double f = experts_.max_factor(tokens_per_gpu, ctx_.engine.now());
    return model_.decode_uniform_step_s(b, kv_mean, f) <= target_s;
  };
  // The step time grows with the batch, so the cap is where ok() turns false. Searching outwards from the last cap
  // asks for few batch sizes and keeps the expert-load table's lookups near the unit's working point (a bisection
  // of [1, 4096] asked at up to 4,096 sequences per rank, each a new grid point after every EPLB re-plan).
  int64_t cap = largest_passing_batch(ok, batch_cap_, kMaxDecodeBatch);
  batch_cap_ = cap == 0 ? 1 : cap;  // 0: the SLO cannot be met at any batch: serve one sequence per rank
  steps_since_cap_ = 0;
}

void DecodeUnit::admit_waiting() {
  if (waiting_.empty()) return;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    views_[i] = {ranks_[i].sequences, ranks_[i].kv_at(step_), batch_cap_, kv_capacity_};
  }
  balancer_.begin_admissions(views_);
  int64_t now = ctx_.engine.now().ns();
  while (!waiting_.empty()) {
    uint32_t id = waiting_.front();
    auto& r = ctx_.pool[id];
    policy::DecodeRequestView q{r.input_tokens + 1, r.output_tokens};
    int64_t pick = balancer_.pick(views_, q);
    if (pick < 0) break;  // no rank fits: the head waits (and so does everything behind it), measured as a wait
    waiting_.pop(ctx_.pool);
    auto rank = static_cast<size_t>(pick);
    int64_t steps = r.steps >= 0
                        ? r.steps
                        : draw_decode_steps(seed_, r.serial, r.output_tokens - 1, shape_.mtp, model_.mtp_acceptance());
    r.unit = id_;
    r.rank = static_cast<int32_t>(rank);
    r.admit_ns = now;
    r.steps = static_cast<int32_t>(steps);
    balancer_.admit(rank, q);
    if (steps == 0) {
      balancer_.finish(rank, q);  // nothing to decode: it leaves the rank as it comes
      complete(id);
      continue;
    }
    // KV grows from input + 1 (the prefill's token) to input + output over `steps` steps.
    r.kv_rate = static_cast<double>(r.output_tokens - 1) / static_cast<double>(steps);
    r.kv_base = static_cast<double>(r.input_tokens + 1) - r.kv_rate * static_cast<double>(step_);
    auto& rk = ranks_[rank];
    rk.sequences += 1;
    rk.kv_base += r.kv_base;
    rk.kv_rate += r.kv_rate;
    views_[rank].sequences += 1;
    views_[rank].kv_tokens += static_cast<double>(q.kv_tokens);
    active_ += 1;
    add_ending(step_ + steps, id);
  }
}

void DecodeUnit::start_step() {
  if (++steps_since_cap_ >= kCapRefreshSteps || active_ == 0) update_batch_cap();
  admit_waiting();
  if (active_ == 0) return;  // idle until a request arrives
  double max_kv = 0.0;
  double sum_kv = 0.0;
  double emitted = 0.0;  // tokens the step emits: each sequence's KV growth per step
  for (size_t i = 0; i < ranks_.size(); ++i) {
    double kv = ranks_[i].kv_at(step_);
    loads_[i] = {ranks_[i].sequences, kv};
    max_kv = std::max(max_kv, kv);
    sum_kv += kv;
    emitted += ranks_[i].kv_rate;
  }
  double tokens_per_gpu = static_cast<double>(active_) * (shape_.mtp ? 2.0 : 1.0) / static_cast<double>(ranks_.size());
  double factor = experts_.max_factor(tokens_per_gpu, ctx_.engine.now());
  auto duration = engine::Duration::from_seconds(model_.decode_step_s(loads_, factor));
  int64_t now = ctx_.engine.now().ns();
  stepping_ = true;
  step_start_ns_ = now;
  busy_ += duration;
  ctx_.signals.decode_step({now, duration.ns(), id_, round_nearest(emitted), active_,
                            max_kv > 0 ? sum_kv / static_cast<double>(ranks_.size()) / max_kv : 1.0, 1.0 / factor,
                            sum_kv / (kv_capacity_ * static_cast<double>(ranks_.size())), 0.0,
                            batch_cap_ * shape_.ranks});
  ctx_.engine.schedule_after(duration, *this, 0);
}

void DecodeUnit::complete(uint32_t id) {
  auto& r = ctx_.pool[id];
  r.finish_ns = ctx_.engine.now().ns();
  done_.accept(id);
}

void DecodeUnit::add_ending(int64_t end_step, uint32_t request) {
  int64_t block = end_step >> kBlockBits;
  auto& slot = block <= spread_block_ ? near_[static_cast<size_t>(end_step) & kSlotMask]
                                      : far_[static_cast<size_t>(block) & kSlotMask];
  slot.push_back({end_step, request});
}

void DecodeUnit::spread_block(int64_t block) {
  auto& slot = far_[static_cast<size_t>(block) & kSlotMask];
  size_t keep = 0;
  for (const auto& e : slot) {
    if ((e.step >> kBlockBits) == block) {
      near_[static_cast<size_t>(e.step) & kSlotMask].push_back(e);
    } else {
      slot[keep++] = e;  // a later lap
    }
  }
  slot.resize(keep);
  spread_block_ = block;
}

void DecodeUnit::finish_step() {
  stepping_ = false;
  ++step_;
  assert((step_ >> kBlockBits) <= spread_block_);  // spread a step ahead, below
  // The sequences that end with this step leave in arrival order (their serials), whatever their ids.
  leaving_.clear();
  auto& slot = near_[static_cast<size_t>(step_) & kSlotMask];
  for (const auto& e : slot) {
    assert(e.step == step_);
    leaving_.emplace_back(ctx_.pool[e.request].serial, e.request);
  }
  slot.clear();
  std::sort(leaving_.begin(), leaving_.end());
  for (const auto& [serial, id] : leaving_) {
    auto& r = ctx_.pool[id];
    auto& rk = ranks_[static_cast<size_t>(r.rank)];
    rk.sequences -= 1;
    rk.kv_base -= r.kv_base;
    rk.kv_rate -= r.kv_rate;
    if (rk.sequences == 0) rk = Rank{};  // clear rounding residue
    active_ -= 1;
    balancer_.finish(static_cast<size_t>(r.rank), {r.input_tokens + 1, r.output_tokens});
    complete(id);
  }
  // The next step's leavers: spread their block if this step ends one, and fetch their records (scattered over the
  // pool, two cache lines each) now, so that the misses overlap with the other units' events in between.
  int64_t next = step_ + 1;
  if ((next >> kBlockBits) > spread_block_) spread_block(next >> kBlockBits);
  for (const auto& e : near_[static_cast<size_t>(next) & kSlotMask]) {
    const char* record = reinterpret_cast<const char*>(&ctx_.pool[e.request]);
    __builtin_prefetch(record);  // DecodeRecord's two lines (request.h)
    __builtin_prefetch(record + 64);
  }
  start_step();
}

void DecodeUnit::on_event(uint64_t) { finish_step(); }

}  // namespace moesim::cluster
