#include "sim/engine/event_queue.h"

#include <algorithm>

namespace moesim::engine {

void EventQueue::refill() {
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
  // redistributions); restore FIFO among them. Later pushes at this time carry larger seqs and append in order.
  auto& zero = buckets_[0];
  if (zero.size() > 1) {
    std::sort(zero.begin(), zero.end(), [](const Entry& a, const Entry& c) { return a.seq < c.seq; });
  }
}

}  // namespace moesim::engine
