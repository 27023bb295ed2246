// Run totals the report is built from: RequestTally counts how requests left (completed, rejected by reason) and
// the tokens of those completed; StepTotals sums the units' steps (busy time, balance, decode capacity at the SLO).
//
//   RequestTally t;  t.add(request_done);  int64_t n = t.completed;
//   StepTotals s;  s.add_decode_step(step_done, /*slo_user_tokens_per_s=*/21.0);
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sim/observe/economics.h"
#include "sim/observe/signals.h"

namespace moesim::observe {

struct RequestTally {
  int64_t completed = 0;
  int64_t rejected = 0;
  std::map<std::string, int64_t> rejected_by_reason{};
  BilledTokens tokens{};  ///< of the completed requests

  void add(const RequestDone& r);
  int64_t input_tokens() const { return tokens.input_cached + tokens.input_uncached; }
};

struct StepTotals {
  int64_t prefill_steps = 0;
  int64_t decode_steps = 0;
  int64_t prefill_computed = 0;  ///< new tokens computed by prefill steps
  double decode_emitted = 0.0;   ///< tokens emitted by decode steps
  double prefill_busy_s = 0.0;
  double decode_busy_s = 0.0;
  double prefill_rank_balance_sum = 0.0;
  double decode_rank_balance_sum = 0.0;
  double expert_balance_sum = 0.0;
  double decode_sequences_sum = 0.0;     ///< active sequences summed over decode steps
  double decode_capacity_token_s = 0.0;  ///< integral over decode steps of (SLO-capped sequences x SLO speed) dt

  void add_prefill_step(const StepDone& s);
  void add_decode_step(const StepDone& s, double slo_user_tokens_per_s);
};

}  // namespace moesim::observe
