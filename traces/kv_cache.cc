#include "traces/kv_cache.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace moesim::traces {

KvCache::KvCache(int64_t bytes_per_token, const KvCacheConfig& config) : config_(config) {
  if (config.block_tokens <= 0 || bytes_per_token <= 0 || config.capacity_bytes < 0) {
    throw InputError(fmt::format("KV cache: block_tokens, bytes_per_token must be positive and capacity_bytes >= 0"));
  }
  int64_t block_bytes = bytes_per_token * config.block_tokens;
  // Node indices are 32-bit: more than 4 G blocks (150 PB at 36 MB a block) counts as unbounded.
  capacity_blocks_ = std::min<int64_t>(config.capacity_bytes / block_bytes, kNone - 1);
}

KvCache KvCache::with_blocks(int64_t blocks) {
  // Counted in blocks: one byte a token makes a block's bytes its tokens.
  constexpr int64_t kBytesPerToken = 1;
  KvCacheConfig config;
  int64_t block_bytes = kBytesPerToken * config.block_tokens;
  config.capacity_bytes = blocks > std::numeric_limits<int64_t>::max() / block_bytes
                              ? std::numeric_limits<int64_t>::max()
                              : blocks * block_bytes;
  return KvCache(kBytesPerToken, config);
}

void KvCache::unlink(uint32_t node) {
  Node& n = nodes_[node];
  if (n.prev != kNone)
    nodes_[n.prev].next = n.next;
  else
    head_ = n.next;
  if (n.next != kNone)
    nodes_[n.next].prev = n.prev;
  else
    tail_ = n.prev;
}

void KvCache::push_front(uint32_t node) {
  Node& n = nodes_[node];
  n.prev = kNone;
  n.next = head_;
  if (head_ != kNone) nodes_[head_].prev = node;
  head_ = node;
  if (tail_ == kNone) tail_ = node;
}

int64_t KvCache::lookup(std::span<const uint64_t> hashes, int64_t input_tokens) {
  ++counters_.lookups;
  counters_.blocks_looked_up += static_cast<int64_t>(hashes.size());
  counters_.tokens_looked_up += input_tokens;
  size_t run = 0;
  while (run < hashes.size() && index_.count(hashes[run]) != 0) ++run;
  for (size_t i = run; i-- > 0;) {  // refresh last-to-first: the prefix head ends most recent
    uint32_t node = index_.find(hashes[i])->second;
    unlink(node);
    push_front(node);
  }
  int64_t tokens = 0;
  if (run > 0) {
    int64_t full = static_cast<int64_t>(run) * config_.block_tokens;
    tokens = std::min(full, input_tokens);  // the last block of the request counts only its remainder
  }
  counters_.blocks_hit += static_cast<int64_t>(run);
  counters_.tokens_hit += tokens;
  return tokens;
}

void KvCache::insert(std::span<const uint64_t> hashes) {
  if (capacity_blocks_ == 0) return;
  for (size_t i = hashes.size(); i-- > 0;) {
    auto found = index_.find(hashes[i]);
    if (found != index_.end()) {
      unlink(found->second);
      push_front(found->second);
      continue;
    }
    uint32_t node;
    if (static_cast<int64_t>(index_.size()) >= capacity_blocks_) {
      node = tail_;  // evict the least recently used block and reuse its slot
      unlink(node);
      index_.erase(nodes_[node].hash);
      ++counters_.evictions;
    } else {
      node = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back({});
    }
    nodes_[node].hash = hashes[i];
    index_.emplace(hashes[i], node);
    push_front(node);
  }
}

int64_t KvCache::access(std::span<const uint64_t> hashes, int64_t input_tokens) {
  int64_t tokens = lookup(hashes, input_tokens);
  insert(hashes);
  return tokens;
}

}  // namespace moesim::traces
