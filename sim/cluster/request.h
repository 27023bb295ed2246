// Requests in flight: an index-addressed pool of small records (no allocation per request once warm), with an
// intrusive FIFO for the queues they wait in.
//
//   RequestPool pool;  uint32_t id = pool.add(rec);  pool[id].first_token_ns = now;  pool.release(id);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/huge_pages.h"

namespace moesim::cluster {

inline constexpr uint32_t kNoRequest = UINT32_MAX;

/// One request's state from arrival to its last token. Times are simulated nanoseconds. Two cache lines, aligned:
/// the first holds what the prefill side reads, the second what the decode side reads (the records of a day's
/// requests in flight span tens of megabytes, and most touches of one miss the cache).
struct alignas(64) RequestRecord {
  // The first line: arrival and prefill.
  int64_t arrival_ns = 0;
  int64_t kv_ready_ns = 0;  ///< when its cached prefix is loaded into the prefill node
  int64_t prefill_start_ns = -1;
  int64_t first_token_ns = -1;  ///< prefill done: the first output token exists
  int32_t input_tokens = 0;
  int32_t cached_tokens = 0;  ///< prefix tokens read from the disk cache instead of computed
  int32_t output_tokens = 0;
  int32_t computed_tokens = 0;  ///< new tokens whose prefill is done
  int32_t prefill_unit = -1;
  int32_t prefill_rank = -1;
  uint8_t model = 0;
  // The second line: decode.
  alignas(64) uint64_t serial = 0;  ///< arrival order (0, 1, ...): the key of the request's own random draws
  int64_t decode_admit_ns = -1;
  int64_t finish_ns = -1;
  int64_t decode_steps = 0;  ///< decode steps it needs (drawn at admission, MTP included)
  double kv_base = 0.0;      ///< KV at unit step 0 on the line kv(k) = kv_base + kv_rate * k
  double kv_rate = 0.0;      ///< KV tokens it adds per decode step
  int32_t decode_unit = -1;
  int32_t decode_rank = -1;
  uint32_t next = kNoRequest;  ///< intrusive queue link

  int32_t new_tokens() const { return input_tokens - cached_tokens; }
};
static_assert(sizeof(RequestRecord) == 128);

class RequestPool {
 public:
  uint32_t add(const RequestRecord& r) {
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      records_[id] = r;
    } else {
      id = static_cast<uint32_t>(records_.size());
      records_.push_back(r);
    }
    ++live_;
    return id;
  }
  void release(uint32_t id) {
    free_.push_back(id);
    --live_;
  }
  RequestRecord& operator[](uint32_t id) { return records_[id]; }
  const RequestRecord& operator[](uint32_t id) const { return records_[id]; }
  size_t live() const { return live_; }
  size_t capacity() const { return records_.size(); }

 private:
  std::vector<RequestRecord, HugePageAllocator<RequestRecord>> records_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

/// A FIFO of request ids linked through RequestRecord::next.
class RequestQueue {
 public:
  bool empty() const { return head_ == kNoRequest; }
  size_t size() const { return size_; }
  uint32_t front() const { return head_; }
  void push(RequestPool& pool, uint32_t id) {
    pool[id].next = kNoRequest;
    if (tail_ == kNoRequest) {
      head_ = id;
    } else {
      pool[tail_].next = id;
    }
    tail_ = id;
    ++size_;
  }
  uint32_t pop(RequestPool& pool) {
    uint32_t id = head_;
    head_ = pool[id].next;
    if (head_ == kNoRequest) tail_ = kNoRequest;
    --size_;
    return id;
  }

 private:
  uint32_t head_ = kNoRequest;
  uint32_t tail_ = kNoRequest;
  size_t size_ = 0;
};

}  // namespace moesim::cluster
