// Balancers between the ranks of a unit: where a request's prefill runs, and which decode rank takes it. Each unit
// has its own balancer; it sees a read-only view of the unit's ranks and the request, and hears when a request is
// placed on a rank (admit), when a prefill step computes queued work (progress) and when a request leaves its rank
// (finish), so that it may keep incremental state. The policies are
// in prefill_*.h and decode_*.h, one a file, and are listed in builtins.cc.
//
//   auto lb = moesim::policy::builtin_prefill_balancers().make("published", {.seed = 1, .unit = 0, .ranks = 32});
//   size_t rank = lb->pick(views, {.new_tokens = 3000, .context_tokens = 5000});  lb->admit(rank, request);
#pragma once

#include <cstdint>
#include <span>

#include "sim/policy/registry.h"

namespace moesim::policy {

/// What a rank balancer is built with.
struct RankBalancerContext {
  uint64_t seed = 1;  ///< the scenario's seed (for balancers that draw)
  int32_t unit = 0;   ///< the unit the balancer serves
  int64_t ranks = 1;  ///< its ranks: every view span has this size
  /// Prefill: the unit's marginal step cost of one new token and of one attention pair (from the step model), for
  /// balancers that weigh queued work in seconds (`oracle`); 0 when not known.
  double prefill_s_per_token = 0.0;
  double prefill_s_per_pair = 0.0;
};

/// A prefill rank as the prefill balancer sees it: the work queued on it, not yet computed.
struct PrefillRankView {
  int64_t queued_tokens = 0;      ///< new (uncached) tokens waiting
  double queued_attention = 0.0;  ///< core-attention work waiting: sum over chunks of new x context token pairs
  int64_t queued_requests = 0;
};

/// A request as the prefill balancer sees it.
struct PrefillRequestView {
  int64_t new_tokens = 0;      ///< tokens to compute (input minus cached prefix)
  int64_t context_tokens = 0;  ///< the whole input: cached prefix + new tokens
  /// Core-attention work of the request: new tokens x the context they attend to (causal).
  double attention() const {
    double n = static_cast<double>(new_tokens);
    return n * static_cast<double>(context_tokens - new_tokens) + n * (n + 1.0) / 2.0;
  }
};

/// Aligned to cache lines: a prefill unit's and a decode unit's balancers may run on two threads (a run's two sides).
class alignas(64) PrefillBalancer {
 public:
  static constexpr const char* kKind = "prefill balancer";
  virtual ~PrefillBalancer() = default;
  /// Chooses a rank (index into `ranks`, which is not empty) for the request.
  virtual size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView& request) = 0;
  /// The request was placed on `rank`: called after every pick, with the same request view.
  virtual void admit(size_t /*rank*/, const PrefillRequestView& /*request*/) {}
  /// A step computed `tokens` new tokens and `pairs` attention pairs of the work queued on `rank` (the rank's view
  /// dropped by as much).
  virtual void progress(size_t /*rank*/, int64_t /*tokens*/, double /*pairs*/) {}
  /// The request left `rank` (its prompt is computed: its work reached progress first); the view is the one it was
  /// admitted with.
  virtual void finish(size_t /*rank*/, const PrefillRequestView& /*request*/) {}
};

/// A decode rank as the decode balancer sees it.
struct DecodeRankView {
  int64_t sequences = 0;      ///< active sequences
  double kv_tokens = 0.0;     ///< KV tokens held now
  int64_t max_sequences = 0;  ///< batch cap from the SLO
  double kv_capacity = 0.0;   ///< KV tokens that fit in HBM beside the weights
};

struct DecodeRequestView {
  int64_t kv_tokens = 0;  ///< KV it brings (its context)
  /// Tokens it will emit. No real balancer knows this: only the informed baseline `oracle` reads it.
  int64_t output_tokens = 0;
};

/// Whether a rank can take the request now (batch cap and HBM).
inline bool fits(const DecodeRankView& r, const DecodeRequestView& q) {
  return r.sequences < r.max_sequences && r.kv_tokens + static_cast<double>(q.kv_tokens) <= r.kv_capacity;
}

class alignas(64) DecodeBalancer {
 public:
  static constexpr const char* kKind = "decode balancer";
  virtual ~DecodeBalancer() = default;
  /// The views were refreshed (a step boundary: every rank's KV moved, requests left, the batch cap may have
  /// changed). Called before the picks that follow; until the next call, the views change only as admit says (the
  /// picked rank gains the request). A balancer may keep what it derives from the views until then.
  virtual void begin_admissions(std::span<const DecodeRankView> /*ranks*/) {}
  /// Chooses a rank that fits the request, or -1 if none does (the request waits).
  virtual int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& request) = 0;
  /// The request was placed on `rank`: called after every pick that returned a rank, with the same request view.
  virtual void admit(size_t /*rank*/, const DecodeRequestView& /*request*/) {}
  /// The request left `rank` (it finished decoding); the view is the one it was admitted with.
  virtual void finish(size_t /*rank*/, const DecodeRequestView& /*request*/) {}
};

using PrefillBalancerRegistry = Registry<PrefillBalancer, const RankBalancerContext&>;
using DecodeBalancerRegistry = Registry<DecodeBalancer, const RankBalancerContext&>;

/// Adds the built-ins (the central lists in builtins.cc).
void register_builtin_prefill_balancers(PrefillBalancerRegistry& registry);
void register_builtin_decode_balancers(DecodeBalancerRegistry& registry);

/// Registries holding the built-ins, built on first use.
const PrefillBalancerRegistry& builtin_prefill_balancers();
const DecodeBalancerRegistry& builtin_decode_balancers();

}  // namespace moesim::policy
