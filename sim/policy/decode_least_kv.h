// Decode balancer `least-kv`: the fitting rank holding the least KV.
//
//   DecodeLeastKv lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000});  // -1: no rank fits
#pragma once

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class DecodeLeastKv final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    return argmin_fitting_rank(ranks, q, [](const DecodeRankView& r) { return r.kv_tokens; });
  }
};

}  // namespace moesim::policy
