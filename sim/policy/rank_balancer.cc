#include "sim/policy/rank_balancer.h"

#include <fmt/format.h>

#include <functional>
#include <limits>
#include <utility>

#include "common/error.h"
#include "common/rng.h"

namespace moesim::policy {

namespace {

// ---- prefill ----

class PrefillRoundRobin final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    return next_++ % ranks.size();
  }

 private:
  size_t next_ = 0;
};

// Picks the rank minimizing a score; ties go to the lower index.
template <typename Score>
size_t argmin(std::span<const PrefillRankView> ranks, Score score) {
  size_t best = 0;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ranks.size(); ++i) {
    double s = score(ranks[i]);
    if (s < best_score) {
      best_score = s;
      best = i;
    }
  }
  return best;
}

class PrefillLeastTokens final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    return argmin(ranks, [](const PrefillRankView& r) { return static_cast<double>(r.queued_tokens); });
  }
};

class PrefillLeastAttention final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    return argmin(ranks, [](const PrefillRankView& r) { return r.queued_attention; });
  }
};

// DeepSeek's published objective: equal core-attention computation and equal input tokens per GPU. The two are
// put on one scale by normalizing each by its mean over the ranks after placing the request, and the rank whose
// larger normalized load is smallest wins (a min-max over both objectives).
class PrefillPublished final : public PrefillBalancer {
 public:
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView& q) override {
    double total_tokens = static_cast<double>(q.new_tokens);
    double total_attn = q.attention();
    for (const auto& r : ranks) {
      total_tokens += static_cast<double>(r.queued_tokens);
      total_attn += r.queued_attention;
    }
    double n = static_cast<double>(ranks.size());
    double mean_tokens = std::max(total_tokens / n, 1.0);
    double mean_attn = std::max(total_attn / n, 1.0);
    return argmin(ranks, [&](const PrefillRankView& r) {
      double t = (static_cast<double>(r.queued_tokens + q.new_tokens)) / mean_tokens;
      double a = (r.queued_attention + q.attention()) / mean_attn;
      return std::max(t, a) + 1e-6 * (t + a);
    });
  }
};

// Power of two choices (Mitzenmacher 2001) on queued tokens: two random ranks, the lighter wins.
class PrefillPowerOfTwo final : public PrefillBalancer {
 public:
  explicit PrefillPowerOfTwo(uint64_t seed) : rng_(Rng::stream(seed, "policy.prefill-power-of-two")) {}
  size_t pick(std::span<const PrefillRankView> ranks, const PrefillRequestView&) override {
    size_t a = rng_.below(ranks.size());
    size_t b = rng_.below(ranks.size());
    return ranks[b].queued_tokens < ranks[a].queued_tokens ? b : a;
  }

 private:
  Rng rng_;
};

// ---- decode ----

template <typename Score>
int64_t argmin_fitting(std::span<const DecodeRankView> ranks, const DecodeRequestView& q, Score score) {
  int64_t best = -1;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ranks.size(); ++i) {
    if (!fits(ranks[i], q)) continue;
    double s = score(ranks[i]);
    if (s < best_score) {
      best_score = s;
      best = static_cast<int64_t>(i);
    }
  }
  return best;
}

class DecodeRoundRobin final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    // The next rank in turn that fits.
    for (size_t k = 0; k < ranks.size(); ++k) {
      size_t i = (next_ + k) % ranks.size();
      if (fits(ranks[i], q)) {
        next_ = i + 1;
        return static_cast<int64_t>(i);
      }
    }
    return -1;
  }

 private:
  size_t next_ = 0;
};

class DecodeLeastRequests final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    return argmin_fitting(ranks, q, [](const DecodeRankView& r) { return static_cast<double>(r.sequences); });
  }
};

class DecodeLeastKv final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    return argmin_fitting(ranks, q, [](const DecodeRankView& r) { return r.kv_tokens; });
  }
};

// DeepSeek's published objective: equal KV-cache usage (core attention) and equal request count (dispatch volume)
// per GPU; normalized by their means and combined as a min-max, as for prefill.
class DecodePublished final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    double seqs = 1.0;
    double kv = static_cast<double>(q.kv_tokens);
    for (const auto& r : ranks) {
      seqs += static_cast<double>(r.sequences);
      kv += r.kv_tokens;
    }
    double n = static_cast<double>(ranks.size());
    double mean_seqs = std::max(seqs / n, 1.0);
    double mean_kv = std::max(kv / n, 1.0);
    return argmin_fitting(ranks, q, [&](const DecodeRankView& r) {
      double s = static_cast<double>(r.sequences + 1) / mean_seqs;
      double k = (r.kv_tokens + static_cast<double>(q.kv_tokens)) / mean_kv;
      return std::max(s, k) + 1e-6 * (s + k);
    });
  }
};

template <typename Base>
using Factory = std::function<std::unique_ptr<Base>(uint64_t)>;

template <typename Base>
std::vector<std::pair<std::string, Factory<Base>>>& registry() {
  static std::vector<std::pair<std::string, Factory<Base>>> entries;
  return entries;
}

void register_builtin_balancers() {
  auto& p = registry<PrefillBalancer>();
  if (!p.empty()) return;
  p.emplace_back("round-robin", [](uint64_t) { return std::make_unique<PrefillRoundRobin>(); });
  p.emplace_back("least-tokens", [](uint64_t) { return std::make_unique<PrefillLeastTokens>(); });
  p.emplace_back("least-attention", [](uint64_t) { return std::make_unique<PrefillLeastAttention>(); });
  p.emplace_back("published", [](uint64_t) { return std::make_unique<PrefillPublished>(); });
  p.emplace_back("power-of-two", [](uint64_t s) { return std::make_unique<PrefillPowerOfTwo>(s); });
  auto& d = registry<DecodeBalancer>();
  d.emplace_back("round-robin", [](uint64_t) { return std::make_unique<DecodeRoundRobin>(); });
  d.emplace_back("least-requests", [](uint64_t) { return std::make_unique<DecodeLeastRequests>(); });
  d.emplace_back("least-kv", [](uint64_t) { return std::make_unique<DecodeLeastKv>(); });
  d.emplace_back("published", [](uint64_t) { return std::make_unique<DecodePublished>(); });
}

template <typename Base>
std::unique_ptr<Base> make(std::string_view name, uint64_t seed, const char* what) {
  register_builtin_balancers();
  std::string known;
  for (const auto& [n, f] : registry<Base>()) {
    if (n == name) return f(seed);
    known += (known.empty() ? "" : ", ") + n;
  }
  throw InputError(fmt::format("unknown {} balancer \"{}\" (known: {})", what, name, known));
}

template <typename Base>
std::vector<std::string> names() {
  register_builtin_balancers();
  std::vector<std::string> out;
  for (const auto& [n, f] : registry<Base>()) out.push_back(n);
  return out;
}

}  // namespace

std::unique_ptr<PrefillBalancer> make_prefill_balancer(std::string_view name, uint64_t seed) {
  return make<PrefillBalancer>(name, seed, "prefill");
}
std::unique_ptr<DecodeBalancer> make_decode_balancer(std::string_view name, uint64_t seed) {
  return make<DecodeBalancer>(name, seed, "decode");
}
std::vector<std::string> prefill_balancer_names() { return names<PrefillBalancer>(); }
std::vector<std::string> decode_balancer_names() { return names<DecodeBalancer>(); }

}  // namespace moesim::policy
