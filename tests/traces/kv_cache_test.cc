// The on-disk KV cache model: an LRU over 512-token prefix blocks with a byte capacity.
#include "traces/kv_cache.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "tests/traces/helpers.h"
#include "traces/cached_source.h"
#include "traces/trace_stats.h"

using namespace moesim::traces;
using moesim::traces::test::sample;

namespace {
// DeepSeek-V3's KV bytes per token: 61 layers x 1,152 B (models/llm/deepseek-v3.json).
constexpr int64_t kV3BytesPerToken = 70'272;
}  // namespace

TEST_CASE("kv cache: only the leading run of cached blocks hits, and the last block counts its remainder") {
  KvCache cache(kV3BytesPerToken);
  std::vector<uint64_t> first = {1, 2, 3};
  CHECK(cache.access(first, 1100) == 0);
  std::vector<uint64_t> branch = {1, 2, 4};  // same first two blocks, different third
  CHECK(cache.access(branch, 1300) == 1024);
  CHECK(cache.access(first, 1100) == 1100);  // three blocks, but the request has only 1100 tokens
  std::vector<uint64_t> gap = {9, 2, 3};     // 2 and 3 are cached but the prefix starts with a miss
  CHECK(cache.access(gap, 1500) == 0);
  CHECK(cache.counters().lookups == 4);
  CHECK(cache.counters().blocks_hit == 5);
}

TEST_CASE("kv cache: capacity in bytes is 70,272 B per token times 512 tokens per block") {
  KvCache cache(kV3BytesPerToken, {.capacity_bytes = 10 * kV3BytesPerToken * kBlockTokens + 1});
  CHECK(cache.capacity_blocks() == 10);
  CHECK(KvCache::with_blocks(7).capacity_blocks() == 7);
  CHECK(KvCache(kV3BytesPerToken, {.capacity_bytes = 0}).capacity_blocks() == 0);
  CHECK_THROWS_AS(KvCache(0), moesim::InputError);  // the model's bytes per token are required
}

TEST_CASE("kv cache: eviction takes the least recently used blocks, tails of prefixes before their heads") {
  KvCache cache = KvCache::with_blocks(3);
  std::vector<uint64_t> a = {1, 2};
  std::vector<uint64_t> b = {3, 4};
  cache.access(a, 1024);  // recency: 1, 2
  cache.access(b, 1024);  // inserting 4 then 3 evicts 2 (the tail of a), keeps a's head 1
  CHECK(cache.size_blocks() == 3);
  CHECK(cache.counters().evictions == 1);
  CHECK(cache.lookup(a, 1024) == 512);  // 1 hits, 2 was evicted
  std::vector<uint64_t> b_head = {3};
  CHECK(cache.lookup(b_head, 100) == 100);
}

TEST_CASE("kv cache: an LRU large enough for every block gives the unbounded hit ratio on the Mooncake trace") {
  auto source = open_trace(sample("mooncake_conversation_trace.jsonl.gz"));
  TraceStats big({.lru_blocks = int64_t{1} << 30});
  TraceStats small_cache({.lru_blocks = 2000});
  for (Request r; source->next(r);) {
    big.add(r, source->block_hashes());
    small_cache.add(r, source->block_hashes());
  }
  REQUIRE(big.prefix_hit_ratio_lru().has_value());
  CHECK(*big.prefix_hit_ratio_lru() == Approx(*big.prefix_hit_ratio()).margin(1e-9));
  CHECK(*small_cache.prefix_hit_ratio_lru() < *big.prefix_hit_ratio_lru() - 0.05);
  CHECK(*small_cache.prefix_hit_ratio_lru() > 0);
}

TEST_CASE("kv cache: a cached source fills cached tokens of a hash-id trace from the LRU at arrival") {
  auto source = with_kv_cache(open_trace(sample("mooncake_conversation_trace.jsonl.gz")), kV3BytesPerToken);
  int64_t input = 0, cached = 0;
  bool within = true;
  for (Request r; source->next(r);) {
    input += r.input_tokens;
    cached += r.cached_tokens;
    within = within && r.cached_tokens >= 0 && r.cached_tokens <= r.input_tokens;
  }
  CHECK(within);
  // Unbounded: the leading-run tokens equal the cached-fraction definition on this prefix-consistent trace.
  CHECK(static_cast<double>(cached) / input == Approx(0.3736).margin(0.0005));
}
