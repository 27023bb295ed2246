// Test helper: stage durations shaped like one slot of DeepSeek's decode profile (shared/reference/
// deepseek-profile.md, rounded): ATTN-0 130, ATTN-1 330, SHARED 34, MLP 128 us; send kernels 17 (dispatch) and 20
// (combine), receive kernels 17 us each; the two flights as given.
#pragma once

#include "models/pipeline/stage.h"

namespace moesim::pipeline::testing {

inline StageDurations decode_slot(double dispatch_flight_us, double combine_flight_us) {
  constexpr double kUs = 1e-6;
  return {.attn0 = 130 * kUs,
          .attn1 = 330 * kUs,
          .shared = 34 * kUs,
          .dispatch = dispatch_flight_us * kUs,
          .mlp = 128 * kUs,
          .combine = combine_flight_us * kUs,
          .dispatch_send = 17 * kUs,
          .dispatch_recv = 17 * kUs,
          .combine_send = 20 * kUs,
          .combine_recv = 17 * kUs};
}

}  // namespace moesim::pipeline::testing
