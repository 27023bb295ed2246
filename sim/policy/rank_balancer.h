// Balancers between the ranks of a unit: where a request's prefill runs, and which decode rank takes it.
// Each sees a read-only view of the ranks and the request; adding a policy is one class plus one registry line.
//
//   auto lb = moesim::policy::make_prefill_balancer("published");
//   size_t rank = lb->pick(views, {.new_tokens = 3000, .context_tokens = 5000});
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moesim::policy {

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

class PrefillBalancer {
 public:
  virtual ~PrefillBalancer() = default;
  /// Chooses a rank (index into `ranks`, which is not empty) for the request.
  virtual size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView& request) = 0;
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
};

/// Whether a rank can take the request now (batch cap and HBM).
inline bool fits(const DecodeRankView& r, const DecodeRequestView& q) {
  return r.sequences < r.max_sequences && r.kv_tokens + static_cast<double>(q.kv_tokens) <= r.kv_capacity;
}

class DecodeBalancer {
 public:
  virtual ~DecodeBalancer() = default;
  /// Chooses a rank that fits the request, or -1 if none does (the request waits).
  virtual int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& request) = 0;
};

/// Builds a registered balancer by name. Unknown names throw InputError listing the known ones.
std::unique_ptr<PrefillBalancer> make_prefill_balancer(std::string_view name, uint64_t seed = 1);
std::unique_ptr<DecodeBalancer> make_decode_balancer(std::string_view name, uint64_t seed = 1);
std::vector<std::string> prefill_balancer_names();
std::vector<std::string> decode_balancer_names();

}  // namespace moesim::policy
