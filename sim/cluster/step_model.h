// StepModel: the one question the fleet asks the cost models — how long does a unit's step take for these per-rank
// loads? The fleet never derives costs itself; the production implementation (model_step.h) answers from models/.
//
//   double t = step_model.prefill_step_s(rank_loads, expert_factor);
//   double d = step_model.decode_step_s(rank_loads, expert_factor);
#pragma once

#include <cstdint>
#include <span>

namespace moesim::cluster {

/// One prefill rank's work in a step.
struct PrefillRankLoad {
  int64_t new_tokens = 0;  ///< tokens computed this step (both micro-batches)
  double attention = 0.0;  ///< core-attention token pairs: sum over chunks of new x (prior context + causal half)
  int64_t sequences = 0;   ///< chunks in the step (LM head rows for chunks that finish a prompt)
};

/// One decode rank's batch in a step.
struct DecodeRankLoad {
  int64_t sequences = 0;
  double kv_tokens = 0.0;  ///< summed KV length of its sequences
};

class StepModel {
 public:
  virtual ~StepModel() = default;
  /// Seconds for one prefill step of a unit whose ranks carry `ranks`; `expert_factor` is the most-loaded GPU's
  /// routed tokens over the mean (1 = perfectly balanced).
  virtual double prefill_step_s(std::span<const PrefillRankLoad> ranks, double expert_factor) const = 0;
  /// Seconds for one decode step (with MTP if the unit uses it).
  virtual double decode_step_s(std::span<const DecodeRankLoad> ranks, double expert_factor) const = 0;
  /// Seconds for a decode step where every rank holds `sequences` sequences of mean KV length `kv_per_sequence`:
  /// used to find the SLO batch cap.
  virtual double decode_uniform_step_s(int64_t sequences, double kv_per_sequence, double expert_factor) const = 0;
  /// Seconds to read `tokens` cached-prefix tokens from the on-disk cache into one prefill node.
  virtual double kv_load_s(int64_t tokens) const = 0;
  /// Seconds to send `tokens` tokens of KV from a prefill GPU to a decode GPU.
  virtual double kv_transfer_s(int64_t tokens) const = 0;
  /// KV tokens that fit on one decode GPU beside its weights.
  virtual double decode_kv_capacity_tokens() const = 0;
  /// Probability that the MTP draft token is accepted.
  virtual double mtp_acceptance() const = 0;
};

}  // namespace moesim::cluster
