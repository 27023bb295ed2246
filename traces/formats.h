// Helpers the format files share (traces/*_format.cc; each registers itself in traces/builtin_formats.cc, and
// traces/SCHEMA.md describes the formats). Internal to traces/.
//
//   BufferedText out(path, options.zstd_level);
//   fmt::format_to(std::back_inserter(out.buffer()), "{}\n", header);  out.maybe_flush();
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string_view>

#include "traces/line_io.h"
#include "traces/request.h"

namespace moesim::traces {

/// A LineWriter with a text buffer that is handed over in 1 MiB batches.
class BufferedText {
 public:
  BufferedText(const std::filesystem::path& path, int zstd_level) : writer_(path, zstd_level) {}
  fmt::memory_buffer& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= (1 << 20)) flush();
  }
  void flush() {
    writer_.write(std::string_view(buffer_.data(), buffer_.size()));
    buffer_.clear();
  }
  void close() {
    flush();
    writer_.close();
  }

 private:
  LineWriter writer_;
  fmt::memory_buffer buffer_;
};

/// Number of kBlockTokens blocks that cover `input_tokens` (what a hash-id trace lists per request).
inline int64_t blocks_for(int64_t input_tokens) { return (input_tokens + kBlockTokens - 1) / kBlockTokens; }

}  // namespace moesim::traces
