// One inference request as the workload layer hands it to the simulator, and the trace formats moesim reads.
//
//   moesim::traces::Request r{.arrival_ns = 0, .input_tokens = 6758, .cached_tokens = 0, .output_tokens = 500};
//   if (r.model == moesim::traces::Model::kR1) { /* a reasoning request */ }
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace moesim::traces {

/// Which served model a request is for. Both share the DeepSeek-V3 architecture; the label matters for the request
/// mix (R1 requests reason, so they emit long outputs) and for reports.
enum class Model : uint8_t { kV3 = 0, kR1 = 1 };

/// "V3" or "R1".
std::string_view model_name(Model model);
/// Parses "V3" / "R1"; nullopt for anything else.
std::optional<Model> parse_model(std::string_view text);

/// A request: a small POD (32 bytes). Times are integer nanoseconds from the trace's start.
/// Prefix block hashes, when a trace has them, travel beside the request (RequestSource::block_hashes()).
struct Request {
  int64_t arrival_ns = 0;     ///< arrival time, ns from the start of the trace (non-decreasing along a trace)
  int32_t input_tokens = 0;   ///< prompt length, >= 1
  int32_t cached_tokens = 0;  ///< prompt tokens found in the on-disk KV cache, 0 <= cached <= input (0 when unknown)
  int32_t output_tokens = 0;  ///< tokens to generate, >= 1
  Model model = Model::kV3;   ///< served model
  uint64_t session = 0;       ///< session id; formats without sessions use the request's index in the trace
};

static_assert(sizeof(Request) == 32, "Request is meant to stay a small POD");

/// The trace formats moesim reads and writes (traces/SCHEMA.md).
enum class TraceFormat : uint8_t {
  kAuto,      ///< decide from the first line of the file
  kNative,    ///< moesim's own CSV-like format, optionally zstd- or gzip-compressed
  kMooncake,  ///< Mooncake JSONL: timestamp (ms), input_length, output_length, hash_ids (512-token blocks)
  kAzure,     ///< Azure LLM inference trace 2023 CSV: TIMESTAMP, ContextTokens, GeneratedTokens
};

/// "auto", "native", "mooncake", "azure".
std::string_view format_name(TraceFormat format);
/// Parses a format name; nullopt for anything else.
std::optional<TraceFormat> parse_format(std::string_view text);

/// Tokens per prefix block in hash-id traces (Mooncake: one hash per 512-token block).
inline constexpr int32_t kBlockTokens = 512;

}  // namespace moesim::traces
