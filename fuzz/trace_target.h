// The body of the three trace fuzz targets (native, Mooncake, Azure). The first input byte picks the container and the
// options; the rest is the file:
//   byte % 5: 0 plain, 1 gzip of the rest, 2 zstd of the rest (valid frames: the parser behind them is fuzzed),
//             3 the rest as a .gz file, 4 the rest as a .zst file (the decompressors' error paths are fuzzed);
//   byte & 8: skip bad lines (counted) instead of failing.
// Every request read goes through TraceStats with a small LRU KV cache, as `moesim trace stats --cache-blocks` does.
#pragma once

#include "fuzz/fuzz_support.h"
#include "traces/source.h"
#include "traces/trace_stats.h"

namespace moesim::fuzz {

inline int fuzz_trace(const uint8_t* data, size_t size, traces::TraceFormat format, const std::string& name) {
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
  expect_input_errors([&] {
    auto source = traces::open_trace(file, format, options);
    traces::TraceStats stats({.lru_blocks = 64});
    for (traces::Request r; source->next(r);) {
      require(r.input_tokens > 0 && r.output_tokens > 0, "a request has positive lengths");
      require(r.cached_tokens >= 0 && r.cached_tokens <= r.input_tokens, "cached tokens within the input");
      require(r.arrival_ns >= 0, "arrival times are not negative");
      stats.add(r, source->block_hashes());
    }
    (void)stats.to_json();
  });
  return 0;
}

}  // namespace moesim::fuzz
