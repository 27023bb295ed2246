// One inference request as the workload layer hands it to the simulator (trace formats: traces/format_registry.h).
//
//   moesim::traces::Request r{.arrival_ns = 0, .input_tokens = 6758, .cached_tokens = 0, .output_tokens = 500};
//   std::string_view served = source.models()[r.model];  // "deepseek-v3", "deepseek-r1", ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moesim::traces {

/// The served models a source's requests name, by index (Request::model). A trace's model column is a name; which
/// names a run serves (a model's registered name and its aliases: deepseek-r1 is served by deepseek-v3's
/// architecture) is the caller's to say, since traces/ knows no models. Names compare without case and are kept in
/// lower case.
class ModelNames {
 public:
  /// Names one source can hold (Request::model is one byte).
  static constexpr size_t kMaxNames = size_t{1} << 8;

  /// `default_model`: the model of requests in formats without a model column (index 0). `accepted`: the names this
  /// run serves, the default among them; empty: any well-formed name is accepted and added as it first appears.
  explicit ModelNames(std::string_view default_model = "deepseek-v3", const std::vector<std::string>& accepted = {});
  /// The index of `name`, adding it when any name is accepted; nullopt for a name this run does not serve, a
  /// malformed name (letters, digits, '.', '_', '-'; at most 64) or a 257th name.
  std::optional<uint8_t> index(std::string_view name);
  /// Every name by index.
  const std::vector<std::string>& names() const { return names_; }
  /// "deepseek-v3, deepseek-r1, v3, r1" (or "any name"), for messages.
  std::string accepted() const;
  /// Whether `name` can be a model name: 1 to 64 letters, digits, '.', '_' or '-'.
  static bool well_formed(std::string_view name);

 private:
  std::vector<std::string> names_;
  bool any_ = true;
};

/// A request: a small POD (32 bytes). Times are integer nanoseconds from the trace's start.
/// Prefix block hashes, when a trace has them, travel beside the request (RequestSource::block_hashes()).
struct Request {
  int64_t arrival_ns = 0;     ///< arrival time, ns from the start of the trace (non-decreasing along a trace)
  int32_t input_tokens = 0;   ///< prompt length, >= 1
  int32_t cached_tokens = 0;  ///< prompt tokens found in the on-disk KV cache, 0 <= cached <= input (0 when unknown)
  int32_t output_tokens = 0;  ///< tokens to generate, >= 1
  uint8_t model = 0;          ///< served model: its index in the source's ModelNames (0: the source's default)
  uint64_t session = 0;       ///< session id; formats without sessions use the request's index in the trace
};

static_assert(sizeof(Request) == 32, "Request is meant to stay a small POD");

/// Tokens per prefix block in hash-id traces (Mooncake: one hash per 512-token block).
inline constexpr int32_t kBlockTokens = 512;

}  // namespace moesim::traces
