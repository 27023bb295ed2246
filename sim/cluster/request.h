// Requests in flight: an index-addressed pool of small records (no allocation per request once warm), with an
// intrusive FIFO for the queues they wait in.
//
//   RequestPool pool;  uint32_t id = pool.add(rec);  pool[id].first_token_ns = now;  pool.release(id);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "common/huge_pages.h"

namespace moesim::cluster {

inline constexpr uint32_t kNoRequest = UINT32_MAX;

/// One request's state from arrival to its last token. Times are simulated nanoseconds. Three cache lines, aligned:
/// the first the prefill side's, the second and third the decode side's (the records of a day's requests in flight
/// span tens of megabytes, most touches of one miss the cache, and the two sides may run on two threads: neither
/// reads a line the other writes).
struct alignas(64) RequestRecord {
  // The first line: arrival and prefill.
  int64_t arrival_ns = 0;
  int64_t kv_ready_ns = 0;  ///< when its cached prefix is loaded into the prefill node
  uint64_t serial = 0;  ///< arrival order (0, 1, ...): the key of the request's own random draws
  int64_t first_token_ns = -1;  ///< prefill done: the first output token exists
  int32_t input_tokens = 0;
  int32_t cached_tokens = 0;  ///< prefix tokens read from the disk cache instead of computed
  int32_t output_tokens = 0;
  int32_t computed_tokens = 0;  ///< new tokens whose prefill is done
  int32_t prefill_unit = -1;
  int32_t prefill_rank = -1;
  uint8_t model = 0;
  // The second line: decode. The prefill side never writes it (Fleet: RequestPool::add_arrival, then the decode side
  // fills it when it takes the request over), so that the side on the other thread does not take the line from it.
  alignas(64) int64_t decode_admit_ns = -1;
  int64_t finish_ns = -1;
  double kv_base = 0.0;  ///< KV at unit step 0 on the line kv(k) = kv_base + kv_rate * k
  double kv_rate = 0.0;  ///< KV tokens it adds per decode step
  int32_t decode_steps = -1;  ///< decode steps it needs (MTP included): drawn when it leaves prefill; -1: not yet
  int32_t decode_input_tokens = 0;   ///< input_tokens, on this line: what the decode side reads of the request
  int32_t decode_output_tokens = 0;  ///< output_tokens, likewise
  int32_t decode_unit = -1;
  int32_t decode_rank = -1;
  uint32_t next = kNoRequest;  ///< intrusive queue link
  // The third line: the decode side's copies of the first line's facts that its RequestDone reports, filled when it
  // takes the request over, so that it never reads the prefill side's line (which that side writes again when it
  // gives the id to a new arrival).
  alignas(64) int64_t decode_arrival_ns = 0;
  int64_t decode_first_token_ns = -1;
  uint64_t decode_serial = 0;
  int32_t decode_cached_tokens = 0;
  uint8_t decode_model = 0;

  int32_t new_tokens() const { return input_tokens - cached_tokens; }
};
static_assert(sizeof(RequestRecord) == 192);

/// The records of the requests in flight, addressed by id. Records sit in blocks of 6 MiB (three huge pages) that never
/// move, so that the two sides of a run split over two threads (simulation.h) can each touch the records they hold
/// while the other adds blocks: the prefill side adds (arrivals), the decode side releases (finished requests), and a
/// released id is given out again only after `recycle`, which the run calls where both sides have stopped (a window's
/// end). Ids are therefore the same whichever thread ran which side.
class RequestPool {
 public:
  RequestPool() : blocks_(new RequestRecord*[kMaxBlocks]()) {}
  ~RequestPool() {
    for (size_t b = 0; b < used_blocks_; ++b) HugePageAllocator<RequestRecord>().deallocate(blocks_[b], kBlock);
  }
  RequestPool(const RequestPool&) = delete;
  RequestPool& operator=(const RequestPool&) = delete;

  /// Adds a whole record, the decode side's copies of the first line's facts filled from it.
  uint32_t add(const RequestRecord& r) {
    uint32_t id = take_id();
    RequestRecord& dst = (*this)[id];
    dst = r;
    dst.decode_input_tokens = r.input_tokens;
    dst.decode_output_tokens = r.output_tokens;
    dst.decode_arrival_ns = r.arrival_ns;
    dst.decode_first_token_ns = r.first_token_ns;
    dst.decode_serial = r.serial;
    dst.decode_cached_tokens = r.cached_tokens;
    dst.decode_model = r.model;
    return id;
  }
  /// Adds a record's first line only (arrival and prefill); its other lines are left as they were, for the decode
  /// side to fill when it takes the request over.
  uint32_t add_arrival(const RequestRecord& r) {
    uint32_t id = take_id();
    RequestRecord& dst = (*this)[id];
    dst.arrival_ns = r.arrival_ns;
    dst.kv_ready_ns = r.kv_ready_ns;
    dst.serial = r.serial;
    dst.first_token_ns = r.first_token_ns;
    dst.input_tokens = r.input_tokens;
    dst.cached_tokens = r.cached_tokens;
    dst.output_tokens = r.output_tokens;
    dst.computed_tokens = r.computed_tokens;
    dst.prefill_unit = r.prefill_unit;
    dst.prefill_rank = r.prefill_rank;
    dst.model = r.model;
    return id;
  }
  /// The request left; its id is given out again after the next recycle().
  void release(uint32_t id) {
    released_.push_back(id);
    ++removed_;
  }
  /// Makes the released ids available to add(); only while neither side runs.
  void recycle() {
    free_.insert(free_.end(), released_.rbegin(), released_.rend());
    released_.clear();
  }
  RequestRecord& operator[](uint32_t id) { return blocks_[id >> kBlockBits][id & (kBlock - 1)]; }
  const RequestRecord& operator[](uint32_t id) const { return blocks_[id >> kBlockBits][id & (kBlock - 1)]; }
  /// Records in use; only while neither side runs.
  size_t live() const { return static_cast<size_t>(added_ - removed_); }
  /// Records allocated.
  size_t capacity() const { return next_fresh_; }

 private:
  // A free id (released ones first), its block allocated if new; counted as added.
  uint32_t take_id() {
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      if (next_fresh_ == used_blocks_ * kBlock) {
        if (used_blocks_ == kMaxBlocks) throw std::length_error("request pool: more than 2^29 requests in flight");
        blocks_[used_blocks_++] = HugePageAllocator<RequestRecord>().allocate(kBlock);
      }
      id = static_cast<uint32_t>(next_fresh_++);
    }
    ++added_;
    return id;
  }

  static constexpr int kBlockBits = 15;  // 32,768 records of 192 bytes: 6 MiB, three huge pages
  static constexpr size_t kBlock = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = size_t{1} << 14;
  std::unique_ptr<RequestRecord*[]> blocks_;  // read by both sides: its line is written by neither
  alignas(64) size_t used_blocks_ = 0;       // the prefill side's, from here (a line of its own)
  size_t next_fresh_ = 0;
  std::vector<uint32_t> free_;  // ids to give out
  int64_t added_ = 0;
  alignas(64) std::vector<uint32_t> released_;  // the decode side's (a line of its own): ids left since recycle()
  int64_t removed_ = 0;
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
