#include "traces/cached_source.h"

namespace moesim::traces {

KvCachedSource::KvCachedSource(std::unique_ptr<RequestSource> inner, int64_t bytes_per_token,
                               const KvCacheConfig& config)
    : inner_(std::move(inner)), cache_(bytes_per_token, config) {}

bool KvCachedSource::next(Request& out) {
  if (!inner_->next(out)) return false;
  auto hashes = inner_->block_hashes();
  if (!hashes.empty()) out.cached_tokens = static_cast<int32_t>(cache_.access(hashes, out.input_tokens));
  return true;
}

std::unique_ptr<RequestSource> with_kv_cache(std::unique_ptr<RequestSource> source, int64_t bytes_per_token,
                                             const KvCacheConfig& config) {
  return std::make_unique<KvCachedSource>(std::move(source), bytes_per_token, config);
}

}  // namespace moesim::traces
