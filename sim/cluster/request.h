// Requests in flight: each side's index-addressed pool of small records (no allocation per request once warm), with
// an intrusive FIFO for the queues they wait in. The prefill side's record and the decode side's are separate types
// in separate pools: a request's facts cross from one to the other only over the KV link (kv_link.h).
//
//   PrefillPool pool;  uint32_t id = pool.add(rec);  pool[id].first_token_ns = now;  pool.release(id);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "common/huge_pages.h"

namespace moesim::cluster {

inline constexpr uint32_t kNoRequest = UINT32_MAX;

/// A request on the prefill side, from arrival to the end of its prefill: one cache line. The arrival sources fill
/// its first fields (arrival, lengths, model); the prefill side the rest. The decode side never sees it: what it needs
/// crosses the KV link (kv_link.h) when the prefill ends.
struct alignas(64) PrefillRecord {
  int64_t arrival_ns = 0;
  int64_t kv_ready_ns = 0;      ///< when its cached prefix is loaded into the prefill node
  uint64_t serial = 0;          ///< arrival order (0, 1, ...): the key of the request's own random draws
  int64_t first_token_ns = -1;  ///< prefill done: the first output token exists
  int32_t input_tokens = 0;
  int32_t cached_tokens = 0;  ///< prefix tokens read from the disk cache instead of computed
  int32_t output_tokens = 0;
  int32_t computed_tokens = 0;  ///< new tokens whose prefill is done
  int32_t prefill_unit = -1;
  int32_t prefill_rank = -1;
  uint32_t next = kNoRequest;  ///< intrusive queue link (waiting for a prefill unit to serve)
  uint8_t model = 0;           ///< the served model: an index into the arrival source's names

  int32_t new_tokens() const { return input_tokens - cached_tokens; }
};
static_assert(sizeof(PrefillRecord) == 64);

/// A request on the decode side, from the end of its KV transfer to its last token: two cache lines, the first what
/// a decode step reads and writes, the second the facts its RequestDone reports. Made from the KV link's transfer.
struct alignas(64) DecodeRecord {
  int64_t admit_ns = -1;  ///< admitted to a decode rank
  int64_t finish_ns = -1;
  double kv_base = 0.0;  ///< KV at unit step 0 on the line kv(k) = kv_base + kv_rate * k
  double kv_rate = 0.0;  ///< KV tokens it adds per decode step
  int32_t steps = -1;    ///< decode steps it needs (MTP included): drawn when it left prefill; -1: not yet
  int32_t input_tokens = 0;
  int32_t output_tokens = 0;
  int32_t unit = -1;
  int32_t rank = -1;
  uint32_t next = kNoRequest;  ///< intrusive queue link
  // What its RequestDone reports besides (the second line).
  alignas(64) int64_t arrival_ns = 0;
  int64_t first_token_ns = -1;  ///< its prefill ended, and its transfer began, with the first token
  uint64_t serial = 0;
  int32_t cached_tokens = 0;
  uint8_t model = 0;
};
static_assert(sizeof(DecodeRecord) == 128);

/// The records of one side's requests in flight, addressed by id. Records sit in blocks of 2 MiB or more (whole huge
/// pages) that never move, so a record's address holds while the pool grows. Each side owns its pool and nothing else
/// touches it, so a released id is given out again at once, the last released first: the next arrival writes a record
/// that is likely still in cache. Ids are the same on one thread or two (each side's order of events is).
template <typename Record>
class RecordPool {
 public:
  RecordPool() : blocks_(new Record*[kMaxBlocks]()) {}
  ~RecordPool() {
    for (size_t b = 0; b < used_blocks_; ++b) HugePageAllocator<Record>().deallocate(blocks_[b], kBlock);
  }
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  /// Adds a record; returns its id.
  uint32_t add(const Record& r) {
    uint32_t id = take_id();
    (*this)[id] = r;
    return id;
  }
  /// The request left; its id is the next one given out.
  void release(uint32_t id) { free_.push_back(id); }
  Record& operator[](uint32_t id) { return blocks_[id >> kBlockBits][id & (kBlock - 1)]; }
  const Record& operator[](uint32_t id) const { return blocks_[id >> kBlockBits][id & (kBlock - 1)]; }

 private:
  // A free id (released ones first), its block allocated if new.
  uint32_t take_id() {
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      if (next_fresh_ == used_blocks_ * kBlock) {
        if (used_blocks_ == kMaxBlocks) throw std::length_error("request pool: more than 2^29 requests in flight");
        blocks_[used_blocks_++] = HugePageAllocator<Record>().allocate(kBlock);
      }
      id = static_cast<uint32_t>(next_fresh_++);
    }
    return id;
  }

  static constexpr int kBlockBits = 15;  // 32,768 records: 2 MiB (prefill) or 4 MiB (decode), whole huge pages
  static constexpr size_t kBlock = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = size_t{1} << 14;
  std::unique_ptr<Record*[]> blocks_;
  size_t used_blocks_ = 0;
  size_t next_fresh_ = 0;
  std::vector<uint32_t> free_;  // ids to give out, the last released at the back
};

using PrefillPool = RecordPool<PrefillRecord>;
using DecodePool = RecordPool<DecodeRecord>;

/// A FIFO of request ids linked through their records' `next`.
template <typename Pool>
class RequestQueue {
 public:
  bool empty() const { return head_ == kNoRequest; }
  size_t size() const { return size_; }
  uint32_t front() const { return head_; }
  void push(Pool& pool, uint32_t id) {
    pool[id].next = kNoRequest;
    if (tail_ == kNoRequest) {
      head_ = id;
    } else {
      pool[tail_].next = id;
    }
    tail_ = id;
    ++size_;
  }
  uint32_t pop(Pool& pool) {
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
