#include "sim/observe/minute_ledger.h"

#include <fmt/format.h>

#include <algorithm>

namespace moesim::observe {

namespace {
constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr double kNsPerS = 1e9;
}  // namespace

MinuteRow& MinuteRow::operator+=(const MinuteRow& m) {
  prefill_node_s += m.prefill_node_s;
  decode_node_s += m.decode_node_s;
  input_cached += m.input_cached;
  input_uncached += m.input_uncached;
  output += m.output;
  completed += m.completed;
  ttft_sum_s += m.ttft_sum_s;
  speed_sum += m.speed_sum;
  speed_count += m.speed_count;
  prefill_busy_s += m.prefill_busy_s;
  decode_busy_s += m.decode_busy_s;
  prefill_rank_balance_sum += m.prefill_rank_balance_sum;
  decode_rank_balance_sum += m.decode_rank_balance_sum;
  expert_balance_sum += m.expert_balance_sum;
  prefill_steps += m.prefill_steps;
  decode_steps += m.decode_steps;
  kv_occupancy_sum += m.kv_occupancy_sum;
  return *this;
}

MinuteRow& MinuteLedger::at(int64_t t_ns) {
  auto i = static_cast<size_t>(std::max<int64_t>(t_ns, 0) / kMinuteNs);
  if (i >= rows_.size()) rows_.resize(i + 1);
  return rows_[i];
}

void MinuteLedger::add_request(const RequestDone& r, const RequestLatency& l) {
  auto& m = at(r.finish_ns);
  m.completed += 1;
  m.input_cached += r.cached_tokens;
  m.input_uncached += r.input_tokens - r.cached_tokens;
  m.output += r.output_tokens;
  m.ttft_sum_s += l.ttft_s;
  if (l.decoded) {
    m.speed_sum += l.user_tokens_per_s;
    m.speed_count += 1;
  }
}

void MinuteLedger::add_prefill_step(const StepDone& s) {
  auto& m = at(s.start_ns);
  m.prefill_busy_s += static_cast<double>(s.duration_ns) / kNsPerS;
  m.prefill_steps += 1;
  m.prefill_rank_balance_sum += s.rank_balance;
}

void MinuteLedger::add_decode_step(const StepDone& s) {
  auto& m = at(s.start_ns);
  m.decode_busy_s += static_cast<double>(s.duration_ns) / kNsPerS;
  m.decode_steps += 1;
  m.decode_rank_balance_sum += s.rank_balance;
  m.expert_balance_sum += s.expert_balance;
  m.kv_occupancy_sum += s.kv_occupancy;
}

std::string MinuteLedger::csv(bool per_minute) const {
  std::string out =
      "start_s,prefill_nodes,decode_nodes,input_tokens_cached,input_tokens_uncached,output_tokens,requests_completed,"
      "cost_usd,revenue_usd,margin,ttft_mean_s,user_tokens_per_s_mean,prefill_busy_fraction,decode_busy_fraction,"
      "prefill_rank_balance,decode_rank_balance,expert_balance,kv_occupancy\n";
  size_t group = per_minute ? 1 : 60;
  for (size_t start = 0; start < rows_.size(); start += group) {
    MinuteRow sum;
    size_t end = std::min(rows_.size(), start + group);
    for (size_t i = start; i < end; ++i) sum += rows_[i];
    double span = static_cast<double>(end - start) * 60.0;
    Money money_of_span = money(config_.prices, {sum.prefill_node_s, sum.decode_node_s},
                                {sum.input_cached, sum.input_uncached, sum.output});
    out += fmt::format(
        "{},{:.3f},{:.3f},{},{},{},{},{:.2f},{:.2f},{:.4f},{:.4f},{:.3f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f}\n",
        start * 60, sum.prefill_node_s / span, sum.decode_node_s / span, sum.input_cached, sum.input_uncached,
        sum.output, sum.completed, money_of_span.cost_usd, money_of_span.revenue_usd, money_of_span.margin,
        ratio_or_zero(sum.ttft_sum_s, static_cast<double>(sum.completed)),
        ratio_or_zero(sum.speed_sum, static_cast<double>(sum.speed_count)),
        ratio_or_zero(sum.prefill_busy_s, sum.prefill_node_s / static_cast<double>(config_.prefill_nodes_per_unit)),
        ratio_or_zero(sum.decode_busy_s, sum.decode_node_s / static_cast<double>(config_.decode_nodes_per_unit)),
        ratio_or_zero(sum.prefill_rank_balance_sum, static_cast<double>(sum.prefill_steps)),
        ratio_or_zero(sum.decode_rank_balance_sum, static_cast<double>(sum.decode_steps)),
        ratio_or_zero(sum.expert_balance_sum, static_cast<double>(sum.decode_steps)),
        ratio_or_zero(sum.kv_occupancy_sum, static_cast<double>(sum.decode_steps)));
  }
  return out;
}

}  // namespace moesim::observe
