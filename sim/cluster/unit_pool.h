// UnitPool: the units of one kind (prefill or decode) and each one's lifecycle: starting (nodes held, no work yet)
// -> serving -> draining (no new work; it finishes what it holds) -> gone. Each side (PrefillSide, DecodeSide) owns
// the pool of its kind and asks it the sizes the autoscaler and the metrics see.
//
//   UnitPool<DecodeUnit> pool;  size_t id = pool.add(std::move(unit));  pool.mark_serving(id);
//   int64_t held = pool.held();  int64_t seqs = pool.sum_live([](const DecodeUnit& u) { return u.active(); });
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace moesim::cluster {

template <typename Unit>
class UnitPool {
 public:
  /// Adds a unit, starting; returns its index (units are never removed, so indices stay valid).
  size_t add(std::unique_ptr<Unit> unit) {
    slots_.push_back({std::move(unit), State::kStarting});
    return slots_.size() - 1;
  }
  /// A starting unit begins to serve (a unit drained before it started stays as it is).
  void mark_serving(size_t i) {
    if (slots_[i].state == State::kStarting) slots_[i].state = State::kServing;
  }
  /// Stops sending work to the newest serving unit. False, and nothing changes, if it is the last serving one.
  bool drain_newest() {
    if (serving() <= 1) return false;
    for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
      if (it->state == State::kServing) {
        it->state = State::kDraining;
        ++draining_;
        return true;
      }
    }
    return false;
  }
  /// Draining units that hold nothing more leave. True if any did.
  bool retire_idle() {
    bool changed = false;
    for (auto& s : slots_) {
      if (s.state == State::kDraining && s.unit->idle()) {
        s.state = State::kGone;
        --draining_;
        changed = true;
      }
    }
    return changed;
  }

  size_t size() const { return slots_.size(); }
  Unit& unit(size_t i) { return *slots_[i].unit; }
  const Unit& unit(size_t i) const { return *slots_[i].unit; }
  bool is_serving(size_t i) const { return slots_[i].state == State::kServing; }
  int64_t draining() const { return draining_; }

  int64_t serving() const {
    return count_if([](State s) { return s == State::kServing; });
  }
  /// Starting or serving (not draining): what the autoscaler counts as the pool it controls.
  int64_t held() const {
    return count_if([](State s) { return s == State::kServing || s == State::kStarting; });
  }
  /// Nodes of the units not gone (starting, serving or draining).
  int64_t nodes() const {
    return sum_live([](const Unit& u) { return u.nodes(); });
  }
  /// `f(unit)` summed over the units not gone.
  template <typename F>
  int64_t sum_live(F f) const {
    int64_t n = 0;
    for (const auto& s : slots_) n += s.state != State::kGone ? f(*s.unit) : 0;
    return n;
  }
  /// `f(unit)` summed over the serving units.
  template <typename F>
  int64_t sum_serving(F f) const {
    int64_t n = 0;
    for (const auto& s : slots_) n += s.state == State::kServing ? f(*s.unit) : 0;
    return n;
  }

 private:
  enum class State { kStarting, kServing, kDraining, kGone };
  struct Slot {
    std::unique_ptr<Unit> unit;
    State state;
  };
  template <typename P>
  int64_t count_if(P p) const {
    int64_t n = 0;
    for (const auto& s : slots_) n += p(s.state);
    return n;
  }

  std::vector<Slot> slots_;
  int64_t draining_ = 0;
};

}  // namespace moesim::cluster
