#include "sim/observe/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace moesim::observe {

namespace {
constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr double kNsPerS = 1e9;
}  // namespace

MinuteRow& RunMetrics::minute(int64_t t_ns) {
  auto i = static_cast<size_t>(std::max<int64_t>(t_ns, 0) / kMinuteNs);
  if (i >= minutes_.size()) minutes_.resize(i + 1);
  return minutes_[i];
}

void RunMetrics::accrue_nodes(int64_t until_ns) {
  int64_t t = last_size_ns_;
  while (t < until_ns) {
    int64_t edge = std::min(until_ns, (t / kMinuteNs + 1) * kMinuteNs);
    double dt = static_cast<double>(edge - t) / kNsPerS;
    auto& m = minute(t);
    m.prefill_node_s += dt * static_cast<double>(prefill_nodes_);
    m.decode_node_s += dt * static_cast<double>(decode_nodes_);
    prefill_node_s_ += dt * static_cast<double>(prefill_nodes_);
    decode_node_s_ += dt * static_cast<double>(decode_nodes_);
    t = edge;
  }
  last_size_ns_ = std::max(last_size_ns_, until_ns);
}

void RunMetrics::on_fleet_size(const FleetSize& f) {
  accrue_nodes(f.time_ns);
  prefill_nodes_ = f.prefill_nodes;
  decode_nodes_ = f.decode_nodes;
  peak_nodes_ = std::max(peak_nodes_, prefill_nodes_ + decode_nodes_);
}

void RunMetrics::finish(int64_t end_ns) {
  accrue_nodes(end_ns);
  end_ns_ = end_ns;
}

void RunMetrics::on_request_done(const RequestDone& r) {
  if (r.rejected) {
    ++rejected_;
    ++rejected_by_reason_[r.reason != nullptr ? r.reason : "unknown"];
    return;
  }
  ++completed_;
  input_cached_ += r.cached_tokens;
  input_uncached_ += r.input_tokens - r.cached_tokens;
  output_ += r.output_tokens;
  double ttft = static_cast<double>(r.first_token_ns - r.arrival_ns) / kNsPerS;
  ttft_.add(ttft);
  e2e_.add(static_cast<double>(r.finish_ns - r.arrival_ns) / kNsPerS);
  decode_wait_.add(static_cast<double>(r.decode_admit_ns - r.first_token_ns) / kNsPerS);
  auto& m = minute(r.finish_ns);
  m.completed += 1;
  m.input_cached += r.cached_tokens;
  m.input_uncached += r.input_tokens - r.cached_tokens;
  m.output += r.output_tokens;
  m.ttft_sum_s += ttft;
  if (r.output_tokens > 1 && r.finish_ns > r.decode_admit_ns) {
    double decode_s = static_cast<double>(r.finish_ns - r.decode_admit_ns) / kNsPerS;
    double speed = static_cast<double>(r.output_tokens - 1) / decode_s;
    user_speed_.add(speed);
    tbt_.add(decode_s / static_cast<double>(r.output_tokens - 1));
    m.speed_sum += speed;
    m.speed_count += 1;
  }
}

void RunMetrics::on_prefill_step(const StepDone& s) {
  ++prefill_steps_;
  prefill_computed_ += s.tokens;
  double d = static_cast<double>(s.duration_ns) / kNsPerS;
  prefill_busy_s_ += d;
  auto& m = minute(s.start_ns);
  m.prefill_busy_s += d;
  m.prefill_steps += 1;
  m.prefill_rank_balance_sum += s.rank_balance;
  prefill_rank_balance_sum_ += s.rank_balance;
}

void RunMetrics::on_decode_step(const StepDone& s) {
  ++decode_steps_;
  decode_emitted_ += static_cast<double>(s.tokens);
  double d = static_cast<double>(s.duration_ns) / kNsPerS;
  decode_busy_s_ += d;
  auto& m = minute(s.start_ns);
  m.decode_busy_s += d;
  m.decode_steps += 1;
  m.decode_rank_balance_sum += s.rank_balance;
  m.expert_balance_sum += s.expert_balance;
  m.kv_occupancy_sum += s.kv_occupancy;
  decode_rank_balance_sum_ += s.rank_balance;
  decode_sequences_sum_ += static_cast<double>(s.sequences);
  decode_capacity_token_s_ += static_cast<double>(s.capacity_sequences) * prices_.slo_user_tokens_per_s * d;
  expert_balance_sum_ += s.expert_balance;
}

nlohmann::json RunMetrics::summary() const {
  double seconds = static_cast<double>(end_ns_) / kNsPerS;
  double node_s = prefill_node_s_ + decode_node_s_;
  double input = static_cast<double>(input_cached_ + input_uncached_);
  double cost = node_s / 3600.0 * static_cast<double>(prices_.gpus_per_node) * prices_.usd_per_gpu_hour;
  double revenue = (static_cast<double>(input_cached_) * prices_.usd_per_m_cache_hit +
                    static_cast<double>(input_uncached_) * prices_.usd_per_m_cache_miss +
                    static_cast<double>(output_) * prices_.usd_per_m_output) /
                   1e6;
  auto per = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [k, v] : rejected_by_reason_) reasons[k] = v;
  return {
      {"simulated_s", seconds},
      {"requests_completed", completed_},
      {"requests_rejected", rejected_},
      {"rejected_by_reason", reasons},
      {"input_tokens", input_cached_ + input_uncached_},
      {"input_tokens_cached", input_cached_},
      {"output_tokens", output_},
      {"nodes_avg", per(node_s, seconds)},
      {"nodes_peak", peak_nodes_},
      {"prefill_nodes_avg", per(prefill_node_s_, seconds)},
      {"decode_nodes_avg", per(decode_node_s_, seconds)},
      {"prefill_tokens_per_s_per_node", per(input, prefill_node_s_)},
      {"decode_tokens_per_s_per_node", per(static_cast<double>(output_), decode_node_s_)},
      {"prefill_busy_fraction",
       per(prefill_busy_s_, prefill_node_s_ / static_cast<double>(prices_.prefill_nodes_per_unit))},
      {"decode_busy_fraction",
       per(decode_busy_s_, decode_node_s_ / static_cast<double>(prices_.decode_nodes_per_unit))},
      {"user_tokens_per_s_mean", user_speed_.mean()},
      {"user_tokens_per_s_p10", user_speed_.quantile(0.10)},
      {"user_tokens_per_s_p50", user_speed_.quantile(0.50)},
      {"time_between_tokens_p50_s", tbt_.quantile(0.50)},
      {"time_between_tokens_p99_s", tbt_.quantile(0.99)},
      {"ttft_mean_s", ttft_.mean()},
      {"ttft_p50_s", ttft_.quantile(0.50)},
      {"ttft_p90_s", ttft_.quantile(0.90)},
      {"ttft_p99_s", ttft_.quantile(0.99)},
      {"decode_wait_p50_s", decode_wait_.quantile(0.50)},
      {"decode_wait_p99_s", decode_wait_.quantile(0.99)},
      {"e2e_p50_s", e2e_.quantile(0.50)},
      {"prefill_steps", prefill_steps_},
      {"prefill_step_mean_s", per(prefill_busy_s_, static_cast<double>(prefill_steps_))},
      {"decode_step_mean_s", per(decode_busy_s_, static_cast<double>(decode_steps_))},
      {"prefill_busy_s", prefill_busy_s_},
      {"decode_busy_s", decode_busy_s_},
      {"prefill_rank_balance_mean", per(prefill_rank_balance_sum_, static_cast<double>(prefill_steps_))},
      {"decode_rank_balance_mean", per(decode_rank_balance_sum_, static_cast<double>(decode_steps_))},
      {"expert_balance_mean", per(expert_balance_sum_, static_cast<double>(decode_steps_))},
      {"decode_sequences_per_unit_mean", per(decode_sequences_sum_, static_cast<double>(decode_steps_))},
      // What the decode fleet could sustain with every sequence at the SLO speed, per decode node (while stepping),
      // and the share of it used.
      {"decode_capacity_tokens_per_s_per_node_at_slo",
       per(decode_capacity_token_s_, decode_busy_s_ * static_cast<double>(prices_.decode_nodes_per_unit))},
      {"decode_utilization_at_slo", per(static_cast<double>(output_), decode_capacity_token_s_)},
      {"decode_steps", decode_steps_},
      {"prefill_tokens_computed", prefill_computed_},
      {"cost_usd", cost},
      {"revenue_usd", revenue},
      {"margin", per(revenue - cost, cost)},
  };
}

std::string RunMetrics::ledger_csv(bool per_minute) const {
  std::string out =
      "start_s,prefill_nodes,decode_nodes,input_tokens_cached,input_tokens_uncached,output_tokens,requests_completed,"
      "cost_usd,revenue_usd,margin,ttft_mean_s,user_tokens_per_s_mean,prefill_busy_fraction,decode_busy_fraction,"
      "prefill_rank_balance,decode_rank_balance,expert_balance,kv_occupancy\n";
  size_t group = per_minute ? 1 : 60;
  for (size_t start = 0; start < minutes_.size(); start += group) {
    MinuteRow sum;
    size_t end = std::min(minutes_.size(), start + group);
    for (size_t i = start; i < end; ++i) {
      const auto& m = minutes_[i];
      sum.prefill_node_s += m.prefill_node_s;
      sum.decode_node_s += m.decode_node_s;
      sum.input_cached += m.input_cached;
      sum.input_uncached += m.input_uncached;
      sum.output += m.output;
      sum.completed += m.completed;
      sum.ttft_sum_s += m.ttft_sum_s;
      sum.speed_sum += m.speed_sum;
      sum.speed_count += m.speed_count;
      sum.prefill_busy_s += m.prefill_busy_s;
      sum.decode_busy_s += m.decode_busy_s;
      sum.prefill_rank_balance_sum += m.prefill_rank_balance_sum;
      sum.decode_rank_balance_sum += m.decode_rank_balance_sum;
      sum.expert_balance_sum += m.expert_balance_sum;
      sum.prefill_steps += m.prefill_steps;
      sum.decode_steps += m.decode_steps;
      sum.kv_occupancy_sum += m.kv_occupancy_sum;
    }
    double span = static_cast<double>(end - start) * 60.0;
    double cost = (sum.prefill_node_s + sum.decode_node_s) / 3600.0 * static_cast<double>(prices_.gpus_per_node) *
                  prices_.usd_per_gpu_hour;
    double revenue = (static_cast<double>(sum.input_cached) * prices_.usd_per_m_cache_hit +
                      static_cast<double>(sum.input_uncached) * prices_.usd_per_m_cache_miss +
                      static_cast<double>(sum.output) * prices_.usd_per_m_output) /
                     1e6;
    auto per = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    out += fmt::format(
        "{},{:.3f},{:.3f},{},{},{},{},{:.2f},{:.2f},{:.4f},{:.4f},{:.3f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f}\n",
        start * 60, sum.prefill_node_s / span, sum.decode_node_s / span, sum.input_cached, sum.input_uncached,
        sum.output, sum.completed, cost, revenue, per(revenue - cost, cost),
        per(sum.ttft_sum_s, static_cast<double>(sum.completed)),
        per(sum.speed_sum, static_cast<double>(sum.speed_count)),
        per(sum.prefill_busy_s, sum.prefill_node_s / static_cast<double>(prices_.prefill_nodes_per_unit)),
        per(sum.decode_busy_s, sum.decode_node_s / static_cast<double>(prices_.decode_nodes_per_unit)),
        per(sum.prefill_rank_balance_sum, static_cast<double>(sum.prefill_steps)),
        per(sum.decode_rank_balance_sum, static_cast<double>(sum.decode_steps)),
        per(sum.expert_balance_sum, static_cast<double>(sum.decode_steps)),
        per(sum.kv_occupancy_sum, static_cast<double>(sum.decode_steps)));
  }
  return out;
}

std::string RunMetrics::latency_cdf_csv() const {
  std::string out = "quantile,ttft_s,user_tokens_per_s,e2e_s,time_between_tokens_s\n";
  for (int i = 1; i <= 99; ++i) {
    double q = i / 100.0;
    out += fmt::format("{:.2f},{:.6f},{:.4f},{:.4f},{:.6f}\n", q, ttft_.quantile(q), user_speed_.quantile(q),
                       e2e_.quantile(q), tbt_.quantile(q));
  }
  return out;
}

}  // namespace moesim::observe
