// The on-disk (3FS) KV cache model for hash-id traces: an LRU over 512-token prefix blocks with a byte capacity.
// It decides which prefix of a request's input is a cache hit; timing the read is the cost model's job. A token's KV
// bytes are the model's (llm::UnitGeometry::kv_bytes_per_token), given by whoever builds the cache.
//
//   moesim::traces::KvCache cache(geometry.kv_bytes_per_token, {.capacity_bytes = int64_t{100} << 40});  // 100 TiB
//   int64_t cached = cache.access(source->block_hashes(), request.input_tokens);
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <unordered_map>
#include <vector>

#include "traces/request.h"

namespace moesim::traces {

/// Capacity and block size of the cache.
struct KvCacheConfig {
  int64_t capacity_bytes = std::numeric_limits<int64_t>::max();  ///< disk space for KV blocks (default: unbounded)
  int32_t block_tokens = kBlockTokens;                           ///< tokens per prefix block (512 in Mooncake)
};

/// What the cache has seen.
struct KvCacheCounters {
  int64_t lookups = 0;  ///< requests looked up
  int64_t blocks_looked_up = 0;
  int64_t blocks_hit = 0;  ///< blocks in the leading run found in the cache
  int64_t tokens_looked_up = 0;
  int64_t tokens_hit = 0;
  int64_t evictions = 0;
};

/// An LRU cache of prefix blocks. A block id stands for its whole prefix (Mooncake's hash_ids), so only the leading
/// run of cached blocks is usable. Blocks are refreshed last-to-first, so a prefix's first block is its most
/// recently used and eviction takes the tails of prefixes before their heads.
class KvCache {
 public:
  /// A cache of the model whose tokens take `bytes_per_token` KV bytes.
  explicit KvCache(int64_t bytes_per_token, const KvCacheConfig& config = {});
  /// A cache that holds `blocks` blocks (sized in blocks, the bytes of a token do not matter).
  static KvCache with_blocks(int64_t blocks);

  /// Cached prefix tokens of a request with these block hashes and `input_tokens` tokens: the leading run of blocks
  /// in the cache, a block counting block_tokens and the request's last block only its remainder. Refreshes them.
  int64_t lookup(std::span<const uint64_t> hashes, int64_t input_tokens);
  /// Stores all the request's blocks (after its prefill wrote them), evicting least recently used blocks.
  void insert(std::span<const uint64_t> hashes);
  /// lookup() then insert(): one request's visit. Returns the cached tokens.
  int64_t access(std::span<const uint64_t> hashes, int64_t input_tokens);

  int64_t capacity_blocks() const { return capacity_blocks_; }
  int64_t size_blocks() const { return static_cast<int64_t>(index_.size()); }
  const KvCacheCounters& counters() const { return counters_; }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  struct Node {
    uint64_t hash;
    uint32_t prev;  // towards the most recent
    uint32_t next;  // towards the least recent
  };
  void unlink(uint32_t node);
  void push_front(uint32_t node);

  KvCacheConfig config_;
  int64_t capacity_blocks_;
  std::unordered_map<uint64_t, uint32_t> index_;
  std::vector<Node> nodes_;
  uint32_t head_ = kNone;  // most recently used
  uint32_t tail_ = kNone;  // least recently used
  KvCacheCounters counters_;
};

}  // namespace moesim::traces
