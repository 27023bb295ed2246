// Portable random draws for the expert-load models: the same seed gives the same numbers on any platform and standard
// library (the std:: distributions are implementation-defined, so the few we need are written here). The generator is
// xoshiro256** (Blackman and Vigna 2018): small, fast also in unoptimized sanitizer builds, and good enough for
// Monte Carlo.
//
//   moesim::cost::ExpertRng rng(moesim::cost::derive_seed(seed, "routing", layer));
//   double z = rng.normal();
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>

namespace moesim::cost {

/// SplitMix64 finalizer: mixes a 64-bit value (Steele, Lea and Flood 2014).
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A seed for one purpose and index, derived from a base seed (FNV-1a over the purpose, then mixed).
inline uint64_t derive_seed(uint64_t seed, std::string_view purpose, uint64_t index = 0) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : purpose) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return mix64(mix64(seed ^ h) + index);
}

/// xoshiro256** with the draws the expert models need.
class ExpertRng {
 public:
  /// The state is filled from `seed` by SplitMix64, as the xoshiro authors recommend.
  explicit ExpertRng(uint64_t seed) {
    for (int i = 0; i < 4; ++i) s_[i] = mix64(seed + static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
  }

  /// The next 64 random bits.
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift on 32 bits; the bias, n / 2^32, is negligible here).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }

  /// Standard normal (Box-Muller; one value per call keeps the stream position simple).
  double normal() {
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  /// Poisson with mean `mean` >= 0: inversion below 30, else a rounded normal (only used for test statistics).
  int64_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean < 30) {
      double p = std::exp(-mean), cdf = p, u = uniform();
      int64_t k = 0;
      while (u > cdf && k < 1000) {
        ++k;
        p *= mean / static_cast<double>(k);
        cdf += p;
      }
      return k;
    }
    double x = std::floor(mean + std::sqrt(mean) * normal() + 0.5);
    return x < 0 ? 0 : static_cast<int64_t>(x);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace moesim::cost
