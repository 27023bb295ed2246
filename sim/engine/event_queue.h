// TimedQueue: values popped in (time, seq) order. A radix heap on integer time (simulated time never goes backward,
// so the queue is monotone) with the seq order among equal times. EventQueue, the engine's pending events, holds the
// engine's slot of each event; other timed items (a fleet's transfers in flight) carry their own value.
//
//   EventQueue q;  q.push({Time::from_ns(5), 0, 7});
//   EventQueue::Entry e = q.pop();  // time 5, seq 0, value 7
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/engine/time.h"

namespace moesim::engine {

/// A monotone priority queue of (time, seq, value). Pushed times must not be earlier than the last popped time.
/// Amortized O(log(time span)) per operation; no allocation once the bucket vectors have grown.
template <typename Value>
class TimedQueue {
 public:
  struct Entry {
    Time time;
    uint64_t seq;  // scheduling order; breaks ties among equal times
    Value value;
  };

  void push(const Entry& e) {
    assert(e.time.ns() >= last_);
    size_t b = bucket_of(static_cast<uint64_t>(e.time.ns()));
    buckets_[b].push_back(e);
    least_[b] = std::min(least_[b], e.time.ns());
    if (b > 0) occupied_ |= uint64_t{1} << (b - 1);
    ++size_;
  }

  /// The time of the next entry, without moving entries between buckets (which top() may do, and after which an
  /// entry earlier than that time could no longer be pushed); the queue must not be empty.
  Time peek_time() const {
    assert(size_ > 0);
    if (head_ < buckets_[0].size()) return buckets_[0][head_].time;
    return Time::from_ns(least_[first_occupied()]);
  }

  /// The next entry; the queue must not be empty.
  const Entry& top() {
    assert(size_ > 0);
    if (head_ == buckets_[0].size()) refill();
    return buckets_[0][head_];
  }

  Entry pop() {
    Entry e = top();
    ++head_;
    --size_;
    return e;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

 private:
  static constexpr int kBuckets = 65;

  size_t bucket_of(uint64_t t) const {
    uint64_t diff = t ^ static_cast<uint64_t>(last_);
    return diff == 0 ? 0 : static_cast<size_t>(64 - std::countl_zero(diff));
  }

  // The lowest non-empty bucket above 0 (some must be).
  size_t first_occupied() const { return static_cast<size_t>(std::countr_zero(occupied_)) + 1; }

  // Bucket 0 (entries equal to last_) is used up: move the smallest non-empty bucket down to a new last_.
  void refill() {
    buckets_[0].clear();
    least_[0] = INT64_MAX;
    head_ = 0;
    size_t b = first_occupied();  // size_ > 0, so some bucket holds an entry
    auto& source = buckets_[b];
    last_ = least_[b];
    occupied_ &= ~(uint64_t{1} << (b - 1));
    for (const auto& e : source) {
      size_t to = bucket_of(static_cast<uint64_t>(e.time.ns()));
      buckets_[to].push_back(e);
      least_[to] = std::min(least_[to], e.time.ns());
      if (to > 0) occupied_ |= uint64_t{1} << (to - 1);
    }
    source.clear();
    least_[b] = INT64_MAX;
    // Entries equal to the new minimum may have reached bucket 0 out of scheduling order (some via earlier
    // redistributions); restore the seq order among them. Later pushes at this time carry larger seqs and append in
    // order.
    auto& zero = buckets_[0];
    if (zero.size() > 1) {
      std::sort(zero.begin(), zero.end(), [](const Entry& a, const Entry& c) { return a.seq < c.seq; });
    }
  }

  std::array<std::vector<Entry>, kBuckets> buckets_;
  std::array<int64_t, kBuckets> least_ = filled_least();  // per bucket: the least time pushed since it was emptied
  static constexpr std::array<int64_t, kBuckets> filled_least() {
    std::array<int64_t, kBuckets> a{};
    a.fill(INT64_MAX);
    return a;
  }
  uint64_t occupied_ = 0;  // bit b - 1: bucket b (1..64) holds entries
  size_t head_ = 0;        // entries of bucket 0 before head_ are popped
  size_t size_ = 0;
  int64_t last_ = 0;
};

/// The engine's pending events: the value is the engine's slot of the event's handler and payload.
using EventQueue = TimedQueue<uint32_t>;

}  // namespace moesim::engine
