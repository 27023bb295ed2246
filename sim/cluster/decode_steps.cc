#include "sim/cluster/decode_steps.h"

#include <algorithm>
#include <cmath>

#include "common/rng.h"
#include "common/round.h"

namespace moesim::cluster {

namespace {
// Below this many tokens a request's MTP draws are made one by one; above, from the normal approximation.
constexpr int64_t kExactMtpDraws = 64;
}  // namespace

// The number of steps a sequence needs to emit `tokens` more tokens: each step emits one, plus the MTP draft when
// it is accepted. The draws are the request's own (keyed by its serial number), so they do not depend on which unit
// or rank a policy sends it to. Exact draws for short outputs; for long ones the step count's normal approximation
// (mean n/(1+p), variance n p (1-p) / (1+p)^3, the renewal-process limit).
int64_t draw_decode_steps(uint64_t seed, uint64_t serial, int64_t tokens, bool mtp, double p) {
  if (tokens <= 0) return 0;
  if (!mtp) return tokens;
  auto rng = Rng::stream(seed, "cluster.mtp", serial);
  if (tokens <= kExactMtpDraws) {
    int64_t steps = 0;
    for (int64_t emitted = 0; emitted < tokens; ++steps) emitted += 1 + (rng.bernoulli(p) ? 1 : 0);
    return steps;
  }
  double n = static_cast<double>(tokens);
  double mean = n / (1.0 + p);
  double q = 1.0 + p;
  double sd = std::sqrt(n * p * (1.0 - p) / (q * q * q));
  int64_t steps = round_nearest(mean + sd * rng.normal());
  return std::clamp(steps, (tokens + 1) / 2, tokens);
}

}  // namespace moesim::cluster
