// Summary statistics of a request stream: token totals, length percentiles, arrivals and tokens per hour, cached
// fraction, prefix-hit ratios for hash-id traces, and the output-weighted mean KV length. Constant memory in the
// number of requests (length histograms are bounded; only the unbounded prefix cache grows with distinct hashes).
//
//   moesim::traces::TraceStats stats({.lru_blocks = 10000});
//   for (Request r; source->next(r);) stats.add(r, source->block_hashes());
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

#include "traces/kv_cache.h"
#include "traces/request.h"

namespace moesim::traces {

/// DeepSeek-R1 API prices, USD per million tokens (shared/reference/deepseek-day.md: "R1 prices"); the day's
/// theoretical revenue counts every token at these prices.
struct R1Prices {
  static constexpr double kInputCacheHit = 0.14;
  static constexpr double kInputCacheMiss = 0.55;
  static constexpr double kOutput = 2.19;
};

/// Theoretical revenue (USD) of tokens at R1 prices.
double r1_revenue_usd(double cached_input, double uncached_input, double output);

/// Counts of non-negative integers with exact bins below 2^17 and 17 significant bits above (relative error
/// < 2^-16), so percentiles of token counts are exact for every realistic length.
class LengthHistogram {
 public:
  void add(int64_t value);
  int64_t count() const { return count_; }
  /// Nearest-rank percentile (p in [0, 100]): the smallest value with at least p % of the counts at or below it.
  int64_t percentile(double p) const;
  int64_t max() const { return max_; }

 private:
  static constexpr int kExactBits = 17;
  std::vector<int64_t> exact_ = std::vector<int64_t>(size_t{1} << kExactBits);
  std::map<int64_t, int64_t> large_;
  int64_t count_ = 0;
  int64_t max_ = 0;
};

/// Options of TraceStats.
struct StatsOptions {
  std::optional<int64_t> lru_blocks;  ///< also run an LRU KV cache of this many blocks over hash-id requests
};

/// Accumulates statistics over a stream of requests.
class TraceStats {
 public:
  explicit TraceStats(const StatsOptions& options = {});

  /// Adds one request (in arrival order) with its block hashes (may be empty).
  void add(const Request& request, std::span<const uint64_t> block_hashes);

  struct Hour {
    int64_t requests = 0;
    int64_t input_tokens = 0;
    int64_t cached_tokens = 0;
    int64_t output_tokens = 0;
  };

  int64_t requests() const { return requests_; }
  int64_t input_tokens() const { return input_tokens_; }
  int64_t output_tokens() const { return output_tokens_; }
  /// Cached input tokens: from the requests, or for hash-id requests from an unbounded prefix cache.
  int64_t cached_tokens() const { return cached_tokens_; }
  double cached_fraction() const;
  /// Output-weighted mean KV length: sum over requests of (input x output + output (output + 1) / 2) / output tokens.
  double kv_len_per_output_token() const;
  /// Fraction of listed blocks whose hash appeared in an earlier request; nullopt without hashes.
  std::optional<double> prefix_hit_ratio() const;
  /// Fraction of listed blocks hit (leading run) in the LRU cache; nullopt without hashes or without an LRU.
  std::optional<double> prefix_hit_ratio_lru() const;
  /// Per hour of the trace (hour index from arrival 0).
  const std::map<int64_t, Hour>& hours() const { return hours_; }
  const LengthHistogram& input_lengths() const { return input_hist_; }
  const LengthHistogram& output_lengths() const { return output_hist_; }
  /// Theoretical revenue of all tokens at R1 prices.
  double revenue_usd() const;

  /// Everything as one JSON object (keys in docs/models/workload.md); `models`: the source's model names by index.
  nlohmann::json to_json(const std::vector<std::string>& models) const;
  /// A readable report.
  std::string to_text(const std::vector<std::string>& models) const;

 private:
  StatsOptions options_;
  int64_t requests_ = 0;
  int64_t input_tokens_ = 0;
  int64_t output_tokens_ = 0;
  int64_t cached_tokens_ = 0;
  std::array<int64_t, ModelNames::kMaxNames> requests_by_model_{};  // by the source's model index
  std::array<int64_t, ModelNames::kMaxNames> output_by_model_{};
  long double kv_weighted_ = 0;
  int64_t first_arrival_ns_ = 0;
  int64_t last_arrival_ns_ = 0;
  LengthHistogram input_hist_;
  LengthHistogram output_hist_;
  std::map<int64_t, Hour> hours_;
  Hour* current_hour_ = nullptr;
  int64_t current_hour_index_ = -1;
  // hash-id traces
  int64_t hashed_requests_ = 0;
  int64_t blocks_listed_ = 0;
  int64_t blocks_seen_before_ = 0;
  std::unordered_set<uint64_t> seen_;
  std::optional<KvCache> lru_;
};

}  // namespace moesim::traces
