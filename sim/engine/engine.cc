#include "sim/engine/engine.h"

#include <stdexcept>
#include <string>

namespace moesim::engine {

uint32_t Engine::take_slot() {
  if (!free_slots_.empty()) {
    uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

EventId Engine::schedule_at(Time when, EventHandler& handler, uint64_t payload) {
  if (when < now_) {
    // Rule 1 of the house: time never goes backward. This is a programming error, not bad input.
    throw std::logic_error("engine: event scheduled at " + to_string(when) + ", before now " + to_string(now_));
  }
  uint32_t slot = take_slot();
  uint64_t seq = next_seq_++;
  slots_[slot] = Slot{&handler, payload, seq};
  queue_.push({when, seq, slot});
  ++stats_.scheduled;
  return EventId{slot, seq};
}

void Engine::hold(Time when, EventHandler& handler, uint64_t payload) {
  if (when < now_) {
    throw std::logic_error("engine: event held for " + to_string(when) + ", before now " + to_string(now_));
  }
  if (held_.handler != nullptr) throw std::logic_error("engine: an event is already held");
  held_ = Held{when, next_seq_++, payload, &handler};
  ++stats_.scheduled;
}

bool Engine::cancel(EventId id) {
  if (id.slot >= slots_.size()) return false;
  Slot& s = slots_[id.slot];
  if (s.seq != id.seq || s.handler == nullptr) return false;
  s.handler = nullptr;  // the queue entry stays and is dropped when it comes up
  ++stats_.cancelled;
  return true;
}

void Engine::skip_cancelled() {
  while (!queue_.empty()) {
    const auto& top = queue_.top();
    Slot& s = slots_[top.value];
    if (s.handler != nullptr) return;
    s.seq = UINT64_MAX;
    free_slots_.push_back(top.value);
    queue_.pop();
  }
}

bool Engine::held_first() {
  if (held_.handler == nullptr) return false;
  while (!queue_.empty()) {
    // The queue's next time without reordering it: top() moves the queue's time base up to that time, after which
    // an event that the held one schedules before it could not be pushed. So look at the top only when it is due no
    // later than the held event.
    Time next = queue_.peek_time();
    if (held_.time < next) return true;
    const auto& top = queue_.top();
    if (slots_[top.value].handler != nullptr) return held_.time == next && held_.seq < top.seq;
    slots_[top.value].seq = UINT64_MAX;  // cancelled: drop it
    free_slots_.push_back(top.value);
    queue_.pop();
  }
  return true;
}

Time Engine::next_time() {
  if (held_first()) return held_.time;
  skip_cancelled();
  return queue_.empty() ? Time::max() : queue_.top().time;
}

bool Engine::step_until(Time until) {
  if (peek_time() > until) return false;  // before held_first or top(), which may move the queue's base
  if (held_first()) {
    if (held_.time > until) return false;
    Held h = held_;
    held_ = Held{};
    now_ = h.time;
    ++stats_.executed;
    h.handler->on_event(h.payload);
    return true;
  }
  skip_cancelled();
  if (queue_.empty() || queue_.top().time > until) return false;
  auto e = queue_.pop();
  if (e.time < now_) {
    throw std::logic_error("engine: time went backward from " + to_string(now_) + " to " + to_string(e.time));
  }
  now_ = e.time;
  Slot& s = slots_[e.value];
  EventHandler* handler = s.handler;
  uint64_t payload = s.payload;
  s = Slot{};
  free_slots_.push_back(e.value);
  ++stats_.executed;
  handler->on_event(payload);
  return true;
}

void Engine::advance_to(Time when) {
  if (when < now_) throw std::logic_error("engine: advance to " + to_string(when) + ", before now " + to_string(now_));
  if (peek_time() < when) {
    throw std::logic_error("engine: advance to " + to_string(when) + " past a pending event at " + to_string(peek_time()));
  }
  now_ = when;
}

void Engine::run_until(Time until) {
  while (step_until(until)) {
  }
  if (until > now_) now_ = until;
}

void Engine::run() {
  while (step()) {
  }
}

}  // namespace moesim::engine
