// Engine: the discrete-event loop. Events are (time, handler, 64-bit payload), run in (time, seq) order; a zero-delay
// event still goes through the queue. The engine is passed explicitly; there are no globals.
//
//   struct Tick : EventHandler { void on_event(uint64_t n) override { ... } } tick;
//   Engine engine;  engine.schedule_after(milliseconds(5), tick, 1);  engine.run_until(Time::from_ns(1'000'000'000));
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/engine/event_queue.h"
#include "sim/engine/time.h"

namespace moesim::engine {

/// What an event calls. The payload is whatever the scheduler chose (an index, an id, a packed pair).
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_event(uint64_t payload) = 0;
};

/// Adapts a callable for code off the hot path (tests, setup). Build it once and schedule it many times.
class FunctionHandler final : public EventHandler {
 public:
  explicit FunctionHandler(std::function<void(uint64_t)> f) : f_(std::move(f)) {}
  void on_event(uint64_t payload) override { f_(payload); }

 private:
  std::function<void(uint64_t)> f_;
};

/// Names a scheduled event so that it can be cancelled. A default-constructed id names nothing.
struct EventId {
  uint32_t slot = UINT32_MAX;
  uint64_t seq = UINT64_MAX;
};

/// Counts kept by the engine.
struct EngineStats {
  uint64_t scheduled = 0;
  uint64_t executed = 0;
  uint64_t cancelled = 0;
};

/// Aligned to cache lines: a run's two engines, side by side, each written by its own thread (simulation.h).
class alignas(64) Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time now() const { return now_; }

  /// Schedules `handler.on_event(payload)` at `when`, which must not be before now(). The handler must outlive it.
  EventId schedule_at(Time when, EventHandler& handler, uint64_t payload = 0);
  EventId schedule_after(Duration delay, EventHandler& handler, uint64_t payload = 0) {
    return schedule_at(now_ + delay, handler, payload);
  }

  /// Schedules an event held beside the queue rather than in it, for a source that schedules its next event while it
  /// runs the current one (arrivals): at most one is held at a time, it cannot be cancelled, and it runs in the same
  /// (time, seq) order as schedule_at would run it, without the queue's push and pop.
  void hold(Time when, EventHandler& handler, uint64_t payload = 0);

  /// Cancels a pending event. Returns false if it already ran, was cancelled, or never existed.
  bool cancel(EventId id);

  /// Runs the next pending event (skipping cancelled ones). Returns false if none was left.
  bool step() { return step_until(Time::max()); }

  /// Runs the next pending event if it is due no later than `until`. Returns false if none is; the queue's base then
  /// stays at or before `until`, so events may still be scheduled from `until` on (with cancelled events pending it
  /// may pass it).
  bool step_until(Time until);

  /// Moves now() forward to `when` without running anything (no pending event may be due before it): a side that
  /// runs an event handed over from elsewhere at that time, or a pause of the run at a given time.
  void advance_to(Time when);

  /// Runs every event with time <= `until`, then sets now() to `until` (if that is later). Events scheduled at
  /// exactly `until` run.
  void run_until(Time until);

  /// Runs until no event is pending.
  void run();

  /// Events waiting, cancelled ones not yet removed included.
  size_t pending() const { return queue_.size() + (held_.handler != nullptr ? 1 : 0); }
  /// Time of the next live event, or Time::max() if none.
  Time next_time();
  /// Time of the next pending event without reordering the queue (a cancelled one's included), or Time::max() if none:
  /// after it, events may still be scheduled at any time from now() on.
  Time peek_time() const {
    Time queued = queue_.empty() ? Time::max() : queue_.peek_time();
    return held_.handler != nullptr && held_.time < queued ? held_.time : queued;
  }
  const EngineStats& stats() const { return stats_; }

 private:
  struct Slot {
    EventHandler* handler = nullptr;  // nullptr: free or cancelled
    uint64_t payload = 0;
    uint64_t seq = UINT64_MAX;
  };

  struct Held {
    Time time;
    uint64_t seq = 0;
    uint64_t payload = 0;
    EventHandler* handler = nullptr;  // nullptr: none held
  };

  uint32_t take_slot();
  // Whether the held event runs before the queue's next live event (dropping cancelled entries it passes).
  bool held_first();
  // Drops cancelled entries from the front of the queue.
  void skip_cancelled();

  EventQueue queue_;
  Held held_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  Time now_ = Time::zero();
  uint64_t next_seq_ = 0;
  EngineStats stats_;
};

}  // namespace moesim::engine
