// Small, fast, reproducible random number generators for the workload generator: SplitMix64 (seeding) and
// xoshiro256++ (streams), both by Blackman and Vigna (prng.di.unimi.it, public domain reference code).
// They satisfy UniformRandomBitGenerator, so Boost.Random's ziggurat normal and exponential draws can use them.
//
//   moesim::traces::Xoshiro256pp rng = moesim::traces::Xoshiro256pp::stream(seed, "arrivals");
//   double u = rng.uniform();  // in [0, 1)
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

namespace moesim::traces {

/// SplitMix64: a 64-bit state generator, used to expand one seed into stream states.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

/// xoshiro256++ 1.0: 256-bit state, period 2^256 - 1, about 1 ns per draw.
class Xoshiro256pp {
 public:
  using result_type = uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  explicit Xoshiro256pp(uint64_t seed) {
    SplitMix64 expand(seed);
    for (auto& word : s_) word = expand();
  }

  /// A named stream of a seed: streams with different names are independent for practical purposes (their states
  /// come from SplitMix64 of the seed mixed with a hash of the name).
  static Xoshiro256pp stream(uint64_t seed, std::string_view name) {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the name
    for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return Xoshiro256pp(SplitMix64(seed ^ h)());
  }

  result_type operator()() {
    const uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace moesim::traces
