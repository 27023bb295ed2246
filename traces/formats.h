// The per-format readers and writers behind open_trace() and open_trace_writer() (traces/SCHEMA.md describes the
// formats). Internal to traces/.
//
//   auto source = moesim::traces::make_mooncake_reader("trace.jsonl.gz", {});
//   auto sink = moesim::traces::make_native_writer("out.trace.csv.zst", {});
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "traces/line_io.h"
#include "traces/sink.h"
#include "traces/source.h"

namespace moesim::traces {

/// First line of a native trace, and the column header that follows the comment lines.
inline constexpr std::string_view kNativeMagic = "#moesim-trace";
inline constexpr std::string_view kNativeVersion = "v1";
inline constexpr std::string_view kNativeHeader =
    "arrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes";
/// The Azure LLM inference trace 2023 header.
inline constexpr std::string_view kAzureHeader = "TIMESTAMP,ContextTokens,GeneratedTokens";

std::unique_ptr<RequestSource> make_native_reader(const std::filesystem::path& path, const ReadOptions& options);
std::unique_ptr<RequestSource> make_mooncake_reader(const std::filesystem::path& path, const ReadOptions& options);
std::unique_ptr<RequestSource> make_azure_reader(const std::filesystem::path& path, const ReadOptions& options);

std::unique_ptr<RequestSink> make_native_writer(const std::filesystem::path& path, const WriteOptions& options);
std::unique_ptr<RequestSink> make_mooncake_writer(const std::filesystem::path& path, const WriteOptions& options);
std::unique_ptr<RequestSink> make_azure_writer(const std::filesystem::path& path, const WriteOptions& options);

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
