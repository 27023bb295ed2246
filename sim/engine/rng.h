// Named random-number streams derived from one seed: one stream per purpose (arrivals, lengths, MTP acceptance,
// expert routing), so that adding a stream or changing one policy's draws leaves every other stream's draws alone.
//
//   moesim::engine::RngStreams streams(42);
//   auto arrivals = streams.stream("arrivals");  double gap = arrivals.exponential(0.5);
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace moesim::engine {

/// splitmix64: used to expand seeds (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", 2014).
constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// FNV-1a over a name: the stream's identity.
constexpr uint64_t hash_name(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// xoshiro256** (Blackman and Vigna, 2018): fast, 256-bit state, good statistical quality. A value type.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) {
    uint64_t s = seed;
    for (auto& w : state_) w = splitmix64(s);
  }

  uint64_t next_u64() {
    uint64_t result = rotl(state_[1] * 5, 7) * 9;
    uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1]: safe under log.
  double uniform_open0() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-64 * n, negligible here).
  uint64_t below(uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<uint64_t>((static_cast<u128>(next_u64()) * n) >> 64);
  }
  bool bernoulli(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log(uniform_open0()); }
  /// Standard normal (Box-Muller; one value per call, the pair's second half is discarded for simplicity).
  double normal() {
    double u1 = uniform_open0();
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

/// Derives independent streams from one seed by name. Cheap to copy.
class RngStreams {
 public:
  explicit RngStreams(uint64_t seed) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  /// The stream for `name`: its draws depend only on (seed, name).
  Rng stream(std::string_view name) const {
    uint64_t s = seed_ ^ hash_name(name);
    return Rng(splitmix64(s));
  }

 private:
  uint64_t seed_;
};

}  // namespace moesim::engine
