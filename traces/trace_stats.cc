#include "traces/trace_stats.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

namespace moesim::traces {

namespace {

constexpr int64_t kNsPerHour = int64_t{3600} * 1'000'000'000;

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

double r1_revenue_usd(double cached_input, double uncached_input, double output) {
  return (cached_input * R1Prices::kInputCacheHit + uncached_input * R1Prices::kInputCacheMiss +
          output * R1Prices::kOutput) *
         1e-6;
}

void LengthHistogram::add(int64_t value) {
  if (value < 0) value = 0;
  ++count_;
  if (value > max_) max_ = value;
  if (value < (int64_t{1} << kExactBits)) {
    ++exact_[static_cast<size_t>(value)];
    return;
  }
  int shift = std::bit_width(static_cast<uint64_t>(value)) - kExactBits;
  ++large_[(value >> shift) << shift];
}

int64_t LengthHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  int64_t seen = 0;
  for (size_t v = 0; v < exact_.size(); ++v) {
    seen += exact_[v];
    if (seen >= rank) return static_cast<int64_t>(v);
  }
  for (const auto& [value, n] : large_) {
    seen += n;
    if (seen >= rank) return value;
  }
  return max_;
}

TraceStats::TraceStats(const StatsOptions& options) : options_(options) {
  if (options.lru_blocks) lru_ = KvCache::with_blocks(*options.lru_blocks);
}

void TraceStats::add(const Request& r, std::span<const uint64_t> hashes) {
  if (requests_ == 0) first_arrival_ns_ = r.arrival_ns;
  last_arrival_ns_ = r.arrival_ns;
  ++requests_;
  input_tokens_ += r.input_tokens;
  output_tokens_ += r.output_tokens;
  ++requests_by_model_[r.model];
  output_by_model_[r.model] += r.output_tokens;
  const long double in = r.input_tokens;
  const long double out = r.output_tokens;
  kv_weighted_ += in * out + out * (out + 1) / 2;
  input_hist_.add(r.input_tokens);
  output_hist_.add(r.output_tokens);

  int64_t cached = r.cached_tokens;
  if (!hashes.empty()) {
    // Definition (issue 5): a block hits if its hash appeared in an earlier request; a hit counts kBlockTokens
    // tokens, the request's last block only its remainder.
    ++hashed_requests_;
    blocks_listed_ += static_cast<int64_t>(hashes.size());
    cached = 0;
    const int64_t last = static_cast<int64_t>(hashes.size()) - 1;
    for (int64_t i = 0; i <= last; ++i) {
      if (seen_.count(hashes[static_cast<size_t>(i)]) == 0) continue;
      ++blocks_seen_before_;
      cached += i < last ? kBlockTokens : r.input_tokens - int64_t{kBlockTokens} * last;
    }
    seen_.insert(hashes.begin(), hashes.end());
    if (lru_) lru_->access(hashes, r.input_tokens);
  }
  cached_tokens_ += cached;

  int64_t hour = r.arrival_ns / kNsPerHour;
  if (hour != current_hour_index_) {
    current_hour_ = &hours_[hour];
    current_hour_index_ = hour;
  }
  ++current_hour_->requests;
  current_hour_->input_tokens += r.input_tokens;
  current_hour_->cached_tokens += cached;
  current_hour_->output_tokens += r.output_tokens;
}

double TraceStats::cached_fraction() const {
  return ratio(static_cast<double>(cached_tokens_), static_cast<double>(input_tokens_));
}

double TraceStats::kv_len_per_output_token() const {
  return output_tokens_ > 0 ? static_cast<double>(kv_weighted_ / static_cast<long double>(output_tokens_)) : 0.0;
}

std::optional<double> TraceStats::prefix_hit_ratio() const {
  if (blocks_listed_ == 0) return std::nullopt;
  return ratio(static_cast<double>(blocks_seen_before_), static_cast<double>(blocks_listed_));
}

std::optional<double> TraceStats::prefix_hit_ratio_lru() const {
  if (blocks_listed_ == 0 || !lru_) return std::nullopt;
  return ratio(static_cast<double>(lru_->counters().blocks_hit),
               static_cast<double>(lru_->counters().blocks_looked_up));
}

double TraceStats::revenue_usd() const {
  return r1_revenue_usd(static_cast<double>(cached_tokens_), static_cast<double>(input_tokens_ - cached_tokens_),
                        static_cast<double>(output_tokens_));
}

nlohmann::json TraceStats::to_json(const std::vector<std::string>& models) const {
  using nlohmann::json;
  auto percentiles = [](const LengthHistogram& h) {
    return json{{"p10", h.percentile(10)},
                {"p50", h.percentile(50)},
                {"p90", h.percentile(90)},
                {"p99", h.percentile(99)},
                {"max", h.max()}};
  };
  auto optional = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  json j;
  j["requests"] = requests_;
  j["input_tokens"] = input_tokens_;
  j["cached_tokens"] = cached_tokens_;
  j["output_tokens"] = output_tokens_;
  j["input_mean"] = ratio(static_cast<double>(input_tokens_), static_cast<double>(requests_));
  j["output_mean"] = ratio(static_cast<double>(output_tokens_), static_cast<double>(requests_));
  j["cached_fraction"] = cached_fraction();
  j["prefix_hit_ratio"] = optional(prefix_hit_ratio());
  if (options_.lru_blocks) {
    j["prefix_hit_ratio_lru"] = optional(prefix_hit_ratio_lru());
    j["lru_blocks"] = *options_.lru_blocks;
    j["cached_fraction_lru"] =
        lru_ && blocks_listed_ > 0
            ? json(ratio(static_cast<double>(lru_->counters().tokens_hit), static_cast<double>(input_tokens_)))
            : json(nullptr);
  }
  j["kv_len_per_output_token"] = kv_len_per_output_token();
  j["duration_s"] = static_cast<double>(last_arrival_ns_ - first_arrival_ns_) * 1e-9;
  j["input_percentiles"] = percentiles(input_hist_);
  j["output_percentiles"] = percentiles(output_hist_);
  json requests = json::object(), outputs = json::object();
  for (size_t m = 0; m < models.size(); ++m) {
    if (requests_by_model_[m] == 0) continue;
    requests[models[m]] = requests_by_model_[m];
    outputs[models[m]] = output_by_model_[m];
  }
  j["requests_by_model"] = requests;
  j["output_tokens_by_model"] = outputs;
  j["revenue_usd_at_r1_prices"] = revenue_usd();
  const double total_revenue = revenue_usd();
  json hours = json::array();
  for (const auto& [hour, h] : hours_) {
    double revenue =
        r1_revenue_usd(static_cast<double>(h.cached_tokens), static_cast<double>(h.input_tokens - h.cached_tokens),
                       static_cast<double>(h.output_tokens));
    hours.push_back(json{{"hour", hour},
                         {"requests", h.requests},
                         {"input_tokens", h.input_tokens},
                         {"cached_tokens", h.cached_tokens},
                         {"output_tokens", h.output_tokens},
                         {"revenue_usd", revenue},
                         {"revenue_share", ratio(revenue, total_revenue)}});
  }
  j["hours"] = hours;
  return j;
}

std::string TraceStats::to_text(const std::vector<std::string>& models) const {
  std::string s;
  auto out = std::back_inserter(s);
  auto line = [&](const LengthHistogram& h) {
    return fmt::format("p10 {}  p50 {}  p90 {}  p99 {}  max {}", h.percentile(10), h.percentile(50), h.percentile(90),
                       h.percentile(99), h.max());
  };
  std::string by_model;
  for (size_t m = 0; m < models.size(); ++m) {
    if (requests_by_model_[m] == 0) continue;
    by_model += fmt::format("{}{} {}", by_model.empty() ? "" : ", ", models[m], requests_by_model_[m]);
  }
  fmt::format_to(out, "requests                 {}  ({})\n", requests_, by_model);
  fmt::format_to(out, "duration                 {:.1f} s\n",
                 static_cast<double>(last_arrival_ns_ - first_arrival_ns_) * 1e-9);
  fmt::format_to(out, "input tokens             {}  (mean {:.1f})\n", input_tokens_,
                 ratio(static_cast<double>(input_tokens_), static_cast<double>(requests_)));
  fmt::format_to(out, "  input lengths          {}\n", line(input_hist_));
  fmt::format_to(out, "output tokens            {}  (mean {:.1f})\n", output_tokens_,
                 ratio(static_cast<double>(output_tokens_), static_cast<double>(requests_)));
  fmt::format_to(out, "  output lengths         {}\n", line(output_hist_));
  fmt::format_to(out, "cached fraction          {:.4f}  ({} cached input tokens{})\n", cached_fraction(),
                 cached_tokens_, blocks_listed_ > 0 ? ", unbounded prefix cache over the block hashes" : "");
  if (auto hit = prefix_hit_ratio()) {
    fmt::format_to(out, "prefix hit ratio         {:.4f}  (blocks seen in an earlier request, unbounded cache)\n",
                   *hit);
  } else {
    fmt::format_to(out, "prefix hit ratio         n/a (no block hashes)\n");
  }
  if (auto hit = prefix_hit_ratio_lru()) {
    fmt::format_to(out, "prefix hit ratio, LRU    {:.4f}  ({} blocks of {} tokens)\n", *hit, *options_.lru_blocks,
                   kBlockTokens);
  }
  fmt::format_to(out, "KV length per output tok {:.1f}\n", kv_len_per_output_token());
  fmt::format_to(out, "revenue at R1 prices     ${:.2f}\n", revenue_usd());
  fmt::format_to(out, "per hour: hour requests input_tokens cached_tokens output_tokens revenue_share\n");
  const double total_revenue = revenue_usd();
  for (const auto& [hour, h] : hours_) {
    double revenue =
        r1_revenue_usd(static_cast<double>(h.cached_tokens), static_cast<double>(h.input_tokens - h.cached_tokens),
                       static_cast<double>(h.output_tokens));
    fmt::format_to(out, "  {:>4} {:>10} {:>14} {:>14} {:>14} {:>8.4f}\n", hour, h.requests, h.input_tokens,
                   h.cached_tokens, h.output_tokens, ratio(revenue, total_revenue));
  }
  return s;
}

}  // namespace moesim::traces
