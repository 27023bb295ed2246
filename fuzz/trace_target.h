// The body of the three trace fuzz targets (native, Mooncake, Azure). The first input byte picks the container and the
// options; the rest is the file:
//   byte % 5: 0 plain, 1 gzip of the rest, 2 zstd of the rest (valid frames: the parser behind them is fuzzed),
//             3 the rest as a .gz file, 4 the rest as a .zst file (the decompressors' error paths are fuzzed);
//   byte & 8: skip bad lines (counted) instead of failing.
// Every request read goes through a small LRU KV cache (traces/kv_cache.h), as a replay with block hashes does.
// (TraceStats is left out: its two 1 MB histograms per input would cost more than the parse under ASan.) The reader
// starts with a 4 KiB buffer instead of 1 MiB (ReadOptions::buffer_bytes; a longer line grows it, so that path is
// fuzzed too): under ASan a fresh MiB per input cost more than the parse.
#pragma once

#include "fuzz/fuzz_support.h"
#include "traces/kv_cache.h"
#include "traces/source.h"

namespace moesim::fuzz {

inline int fuzz_trace(const uint8_t* data, size_t size, std::string_view format, const std::string& name) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::filesystem::path file;
  switch (mode % 5) {
    case 0:
      file = scratch().write(name, body);
      break;
    case 1:
      file = scratch().write(name + ".gz", gzip(body));
      break;
    case 2:
      file = scratch().write(name + ".zst", zstd(body));
      break;
    case 3:
      file = scratch().write(name + ".gz", body);
      break;
    default:
      file = scratch().write(name + ".zst", body);
      break;
  }
  traces::ReadOptions options;
  options.skip_bad = (mode & 8) != 0;
  if ((mode & 16) != 0) options.models = {"deepseek-v3", "deepseek-r1", "v3", "r1"};  // a run's accepted names
  options.buffer_bytes = 4096;
  expect_input_errors([&] {
    auto source = traces::open_trace(file, format, options);
    traces::KvCache cache = traces::KvCache::with_blocks(64);
    int64_t previous_ns = 0;
    for (traces::Request r; source->next(r);) {
      require(r.input_tokens > 0 && r.output_tokens > 0, "a request has positive lengths");
      require(r.cached_tokens >= 0 && r.cached_tokens <= r.input_tokens, "cached tokens within the input");
      require(r.arrival_ns >= previous_ns, "arrival times are not negative and in order");
      require(r.model < source->models().size(), "the model is one of the source's names");
      previous_ns = r.arrival_ns;
      int64_t cached = cache.access(source->block_hashes(), r.input_tokens);
      require(cached >= 0 && cached <= r.input_tokens, "the cache hit is within the input");
    }
  });
  return 0;
}

}  // namespace moesim::fuzz
