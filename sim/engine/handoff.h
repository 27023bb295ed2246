// Handoff: what one side of a simulation split over two threads passes to the other. A single-producer,
// single-consumer queue that grows in blocks (never blocks the producer), whose pushes the consumer sees only when the
// producer publishes them, a batch at a time (one cache-line exchange a batch, not one a push), and a clock: the
// producer's published time, before which it has run every event. TimeGate waits for such a clock, spinning briefly
// and then sleeping, so that a thread waiting for the other leaves the core to it.
//
//   Handoff<Item> h;                         // producer thread          | consumer thread
//   h.push(item); h.publish();               //                          | while (const Item* i = h.front()) { ...; h.pop(); }
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace moesim::engine {

template <typename T>
class Handoff {
 public:
  Handoff() : head_(new Block), tail_(head_) {}
  ~Handoff() {
    while (head_ != nullptr) {
      Block* next = head_->next;
      delete head_;
      head_ = next;
    }
  }
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  /// Producer: appends an item, seen by the consumer after the next publish().
  void push(const T& item) {
    if (write_ == kBlock) {
      auto* b = new Block;
      tail_->next = b;  // published with the count below
      tail_ = b;
      write_ = 0;
    }
    tail_->items[write_++] = item;
    ++pushed_;
  }
  /// Producer: makes every item pushed so far visible to the consumer.
  void publish() { published_.store(pushed_, std::memory_order_release); }

  /// Consumer: the next published item, or nullptr if none is published yet.
  const T* front() {
    if (taken_ == seen_) {
      seen_ = published_.load(std::memory_order_acquire);
      if (taken_ == seen_) return nullptr;
    }
    if (read_ == kBlock) {
      Block* next = head_->next;
      delete head_;
      head_ = next;
      read_ = 0;
    }
    return &head_->items[read_];
  }
  /// Consumer: drops the item front() returned.
  void pop() {
    ++read_;
    ++taken_;
  }

 private:
  static constexpr size_t kBlock = 4096;
  struct Block {
    T items[kBlock];
    Block* next = nullptr;
  };
  // The consumer's end.
  alignas(64) Block* head_;
  size_t read_ = 0;
  uint64_t taken_ = 0;
  uint64_t seen_ = 0;
  // The producer's end.
  alignas(64) Block* tail_;
  size_t write_ = 0;
  uint64_t pushed_ = 0;
  alignas(64) std::atomic<uint64_t> published_{0};
};

/// A clock one thread advances and another waits on: a value that only grows.
class TimeGate {
 public:
  explicit TimeGate(int64_t start = INT64_MIN) : value_(start) {}

  /// The value now (acquire: what was written before it was advanced is visible).
  int64_t value() const { return value_.load(std::memory_order_acquire); }

  /// Raises the value to `v`; wakes a waiter.
  void advance(int64_t v) {
    value_.store(v, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard lock(mutex_);
      cv_.notify_all();
    }
  }

  /// Waits until the value passes `v` (is greater); returns it. Spins a few microseconds (the other side is usually
  /// about to get there), then sleeps: never yields in a loop, whose system calls cost more than they save when the
  /// machine's cores are all busy.
  int64_t wait_beyond(int64_t v) {
    for (int spin = 0; spin < 1000; ++spin) {
      int64_t now = value();
      if (now > v) return now;
      relax();
    }
    std::unique_lock lock(mutex_);
    sleeping_.store(true, std::memory_order_seq_cst);
    int64_t now;
    while ((now = value_.load(std::memory_order_seq_cst)) <= v) cv_.wait(lock);
    sleeping_.store(false, std::memory_order_relaxed);
    return now;
  }

 private:
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  alignas(64) std::atomic<int64_t> value_;
  std::atomic<bool> sleeping_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace moesim::engine
