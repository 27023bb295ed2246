// Streams of requests in arrival order: trace readers (native, Mooncake JSONL, Azure CSV) and the day generator all
// implement RequestSource, so the simulator pulls requests lazily and memory does not grow with the trace.
//
//   auto source = moesim::traces::open_trace("traces/samples/AzureLLMInferenceTrace_conv.csv");
//   for (moesim::traces::Request r; source->next(r);) { /* r.arrival_ns, r.input_tokens, ... */ }
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "traces/request.h"

namespace moesim::traces {

/// What a source has read so far.
struct SourceCounters {
  int64_t lines = 0;        ///< lines read (trace readers; 0 for the generator)
  int64_t requests = 0;     ///< requests returned by next()
  int64_t skipped_bad = 0;  ///< bad lines skipped (only with ReadOptions::skip_bad)
  /// The messages of the first few skipped lines ("file:line: why"), for warnings; at most kKeptMessages.
  std::vector<std::string> first_bad;
  static constexpr size_t kKeptMessages = 10;
};

/// A stream of requests in non-decreasing arrival order.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  /// Fills `out` with the next request; false at the end. A bad line throws InputError naming file:line (or, with
  /// skip_bad, is skipped and counted). A trace with no request at all throws InputError at the end.
  virtual bool next(Request& out) = 0;
  /// Prefix block hashes of the request last returned (one per kBlockTokens-token block, Mooncake style); empty when
  /// the trace has none. Valid until the next call to next().
  virtual std::span<const uint64_t> block_hashes() const { return {}; }
  /// Counters so far.
  virtual const SourceCounters& counters() const = 0;
  /// The file name, or the generator's description, for messages.
  virtual const std::string& name() const = 0;
  /// The served models' names by index (Request::model); in any-name mode it grows as names appear.
  virtual const std::vector<std::string>& models() const = 0;
};

/// How trace files are read.
struct ReadOptions {
  bool skip_bad = false;  ///< skip bad lines (counted in SourceCounters) instead of failing
  /// The model of requests in formats without a model column (Mooncake, Azure).
  std::string default_model = "deepseek-v3";
  /// The model names this run serves (a model's name and aliases); a request for another is a bad line. Empty: any.
  std::vector<std::string> models = {};
  size_t buffer_bytes = size_t{1} << 20;  ///< the line reader's first buffer (LineReader): speed only
};

/// Opens a trace file (plain, .gz or .zst) as a stream in `format`, a registered format's name
/// (traces/format_registry.h). "auto" decides from the first line: "#moesim-trace" is native, "{" is Mooncake JSONL,
/// "TIMESTAMP," is Azure CSV. A missing, empty or unrecognized file, or an unknown format name, is an InputError.
std::unique_ptr<RequestSource> open_trace(const std::filesystem::path& path, std::string_view format = "auto",
                                          const ReadOptions& options = {});

/// The name of a trace file's format, from its first line (nullopt if no format recognises it). Throws InputError if
/// it cannot be read.
std::optional<std::string> detect_format(const std::filesystem::path& path, size_t buffer_bytes = size_t{1} << 20);

}  // namespace moesim::traces
