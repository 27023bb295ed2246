// A request source whose cached tokens come from the on-disk KV cache model: for hash-id traces (Mooncake), each
// request's prefix blocks go through an LRU KvCache at arrival. Requests without hashes pass through unchanged.
//
//   auto source = moesim::traces::with_kv_cache(moesim::traces::open_trace("trace.jsonl.gz"), kv_bytes_per_token);
//   for (moesim::traces::Request r; source->next(r);) { /* r.cached_tokens set by the LRU */ }
#pragma once

#include <memory>

#include "traces/kv_cache.h"
#include "traces/source.h"

namespace moesim::traces {

/// Decides cached tokens at arrival time (lookup then insert). A simulator that wants the cache written only when a
/// prefill completes should use KvCache::lookup / insert itself instead.
class KvCachedSource final : public RequestSource {
 public:
  /// `bytes_per_token`: the model's KV bytes of one token (llm::UnitGeometry::kv_bytes_per_token).
  KvCachedSource(std::unique_ptr<RequestSource> inner, int64_t bytes_per_token, const KvCacheConfig& config = {});

  bool next(Request& out) override;
  std::span<const uint64_t> block_hashes() const override { return inner_->block_hashes(); }
  const SourceCounters& counters() const override { return inner_->counters(); }
  const std::string& name() const override { return inner_->name(); }
  const std::vector<std::string>& models() const override { return inner_->models(); }
  const KvCache& cache() const { return cache_; }

 private:
  std::unique_ptr<RequestSource> inner_;
  KvCache cache_;
};

/// Wraps `source` in a KvCachedSource.
std::unique_ptr<RequestSource> with_kv_cache(std::unique_ptr<RequestSource> source, int64_t bytes_per_token,
                                             const KvCacheConfig& config = {});

}  // namespace moesim::traces
