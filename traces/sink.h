// Writing requests to a trace file in any of the formats (native, Mooncake JSONL, Azure CSV), compressed by the file
// name's extension (.zst, .gz).
//
//   auto sink = moesim::traces::open_trace_writer("day.trace.csv.zst", "native");
//   sink->write(request, {}, "deepseek-v3");  sink->close();
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "traces/request.h"

namespace moesim::traces {

/// Receives requests in arrival order and writes them out.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  /// Writes one request with its prefix block hashes (may be empty) and its served model's name
  /// (source.models()[request.model]).
  virtual void write(const Request& request, std::span<const uint64_t> block_hashes, std::string_view model) = 0;
  /// Flushes and closes the file; throws InputError if writing failed.
  virtual void close() = 0;
};

/// How trace files are written.
struct WriteOptions {
  /// Comment lines for the native format's header (provenance: command, profile, seed); ignored by other formats.
  std::vector<std::string> comments;
  int zstd_level = 3;  ///< zstd level for .zst files (3: zstd's default, fast with a good ratio)
};

/// Opens a trace file for writing in `format`, a registered format's name (traces/format_registry.h). "auto" picks by
/// the file name: Mooncake for *.jsonl[.gz|.zst] names, native otherwise. What a format cannot hold is dropped: Azure
/// keeps arrival and lengths only, Mooncake adds the block hashes. An unknown name is an InputError.
std::unique_ptr<RequestSink> open_trace_writer(const std::filesystem::path& path, std::string_view format,
                                               const WriteOptions& options = {});

/// The name of the format open_trace_writer uses for `path` and `format`.
std::string writer_format(const std::filesystem::path& path, std::string_view format);

}  // namespace moesim::traces
