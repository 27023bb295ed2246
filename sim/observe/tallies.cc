#include "sim/observe/tallies.h"

namespace moesim::observe {

namespace {
constexpr double kNsPerS = 1e9;
}  // namespace

void RequestTally::add(const RequestDone& r) {
  if (r.rejected) {
    ++rejected;
    ++rejected_by_reason[r.reason != nullptr ? r.reason : "unknown"];
    return;
  }
  ++completed;
  tokens.input_cached += r.cached_tokens;
  tokens.input_uncached += r.input_tokens - r.cached_tokens;
  tokens.output += r.output_tokens;
}

void StepTotals::add_prefill_step(const StepDone& s) {
  ++prefill_steps;
  prefill_computed += s.tokens;
  prefill_busy_s += static_cast<double>(s.duration_ns) / kNsPerS;
  prefill_rank_balance_sum += s.rank_balance;
}

void StepTotals::add_decode_step(const StepDone& s, double slo_user_tokens_per_s) {
  ++decode_steps;
  decode_emitted += static_cast<double>(s.tokens);
  double d = static_cast<double>(s.duration_ns) / kNsPerS;
  decode_busy_s += d;
  decode_rank_balance_sum += s.rank_balance;
  decode_sequences_sum += static_cast<double>(s.sequences);
  decode_capacity_token_s += static_cast<double>(s.capacity_sequences) * slo_user_tokens_per_s * d;
  expert_balance_sum += s.expert_balance;
}

}  // namespace moesim::observe
