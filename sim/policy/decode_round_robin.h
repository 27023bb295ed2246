// Decode balancer `round-robin`: the next rank in turn that fits the request.
//
//   DecodeRoundRobin lb;
//   int64_t rank = lb.pick(views, {.kv_tokens = 5000});  // -1: no rank fits
#pragma once

#include "sim/policy/rank_balancer.h"

namespace moesim::policy {

class DecodeRoundRobin final : public DecodeBalancer {
 public:
  int64_t pick(std::span<const DecodeRankView> ranks, const DecodeRequestView& q) override {
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

}  // namespace moesim::policy
