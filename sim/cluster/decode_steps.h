// The decode steps a request needs, drawn from the request's own random stream: the prefill side draws them when a
// request leaves prefill (they cross the KV link with it), a decode unit for a request that comes without.
//
//   int64_t steps = draw_decode_steps(seed, serial, output_tokens - 1, mtp, acceptance);
#pragma once

#include <cstdint>

namespace moesim::cluster {

/// The decode steps a request needs to emit `tokens_after_first` tokens (the first comes from prefill): with MTP each
/// step emits one token and, with probability `acceptance`, the draft's too. Drawn from the request's own stream
/// (Rng::stream(seed, "cluster.mtp", serial)): step by step up to 64 tokens, from the normal approximation of the
/// count above. The prefill side draws it when the request leaves prefill (KvTransfer::decode_steps); a unit draws it
/// at admission for a request that comes without.
int64_t draw_decode_steps(uint64_t seed, uint64_t serial, int64_t tokens_after_first, bool mtp, double acceptance);

}  // namespace moesim::cluster
