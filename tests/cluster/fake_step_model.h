// Test doubles for the fleet: a step model with simple, documented linear costs (charged at the slowest rank, as
// the real one is), a uniform expert balance, and an arrival source over a vector.
#pragma once

#include <algorithm>
#include <vector>

#include "sim/cluster/simulation.h"

namespace moesim::cluster::testing {

struct LinearStepModel final : StepModel {
  double prefill_fixed_s = 0.002;
  double prefill_per_token_s = 2e-6;  // per new token on the slowest rank
  double prefill_per_pair_s = 2e-11;  // per attention pair on the slowest rank
  double decode_fixed_s = 0.02;
  double decode_per_seq_s = 2e-4;  // per sequence on the slowest rank
  double decode_per_kv_s = 1e-8;   // per KV token on the slowest rank
  double kv_capacity = 1e6;
  double acceptance = 0.85;

  double prefill_step_s(std::span<const PrefillRankLoad> ranks, double expert_factor) const override {
    double tokens = 0, pairs = 0;
    for (const auto& r : ranks) {
      tokens = std::max(tokens, static_cast<double>(r.new_tokens) * expert_factor);
      pairs = std::max(pairs, r.attention);
    }
    return prefill_fixed_s + prefill_per_token_s * tokens + prefill_per_pair_s * pairs;
  }
  double decode_step_s(std::span<const DecodeRankLoad> ranks, double) const override {
    double seqs = 0, kv = 0;
    for (const auto& r : ranks) {
      seqs = std::max(seqs, static_cast<double>(r.sequences));
      kv = std::max(kv, r.kv_tokens);
    }
    return decode_fixed_s + decode_per_seq_s * seqs + decode_per_kv_s * kv;
  }
  double decode_uniform_step_s(int64_t seqs, double kv_per_seq, double) const override {
    return decode_fixed_s + decode_per_seq_s * static_cast<double>(seqs) +
           decode_per_kv_s * static_cast<double>(seqs) * kv_per_seq;
  }
  double kv_load_s(int64_t tokens) const override { return static_cast<double>(tokens) * 70272.0 / 40e9; }
  double kv_transfer_s(int64_t tokens) const override { return static_cast<double>(tokens) * 70272.0 / 50e9; }
  double decode_kv_capacity_tokens() const override { return kv_capacity; }
  double mtp_acceptance() const override { return acceptance; }
};

struct EvenExperts final : ExpertBalance {
  double max_factor(double, engine::Time) override { return 1.0; }
};

struct VectorSource final : ArrivalSource {
  std::vector<PrefillRecord> requests;
  size_t next_index = 0;
  bool next(PrefillRecord& r) override {
    if (next_index >= requests.size()) return false;
    r = requests[next_index++];
    return true;
  }
};

}  // namespace moesim::cluster::testing
