// Decode balancer `least-requests`: the fitting rank with the fewest sequences.
//
//   DecodeLeastRequests lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000});  // -1: no rank fits
#pragma once

#include "sim/policy/rank_choice.h"

namespace moesim::policy {

class DecodeLeastRequests final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
    return argmin_fitting_rank(ranks, q, [](const DecodeRankView& r) { return static_cast<double>(r.sequences); });
  }
};

}  // namespace moesim::policy
