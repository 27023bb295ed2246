// Portable random draws for the expert-load models: the same seed gives the same numbers with any standard library
// (std::mt19937_64 is fully specified; the std:: distributions are not, so the few we need are written here).
//
//   moesim::cost::ExpertRng rng(moesim::cost::derive_seed(seed, "routing", layer));
//   double z = rng.normal();
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
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

/// mt19937_64 with the draws the expert models need.
class ExpertRng {
 public:
  explicit ExpertRng(uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the tiny bias at n << 2^64 is irrelevant here).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((engine_() >> 32) * n) >> 32); }

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
  std::mt19937_64 engine_;
};

}  // namespace moesim::cost
