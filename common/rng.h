// The project's one random-number generator and its one seeding rule. Every random draw in moesim (arrivals and
// request lengths, per-request MTP acceptance, balancer tie-breaks, expert popularity and routing samples) comes from
// an Rng made by Rng::stream(seed, purpose, key):
// - `seed` is the run's seed (scenario `seed`, `--seed`);
// - `purpose` names what the draws are for, as "<folder>.<what>" in lower case ("traces.arrivals", "cluster.mtp",
//   "cost.popularity.lognormal"): a new purpose never shifts another's draws;
// - `key` indexes draws that must not depend on the order in which the simulation asks for them (a request's serial
//   number, a layer, a unit): the same (seed, purpose, key) gives the same draws whatever policy runs, which is what
//   a comparison of two policies on common random numbers needs.
// The generator is xoshiro256** (Blackman and Vigna, 2018), its state filled by SplitMix64 (Steele, Lea and Flood,
// 2014); the distributions are written here so that the same seed gives the same numbers with any standard library.
// It satisfies UniformRandomBitGenerator, so Boost.Random's distributions can draw from it.
//
//   auto rng = moesim::Rng::stream(seed, "cluster.mtp", request_serial);
//   bool accepted = rng.bernoulli(0.85);
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string_view>

namespace moesim {

/// SplitMix64: advances `state` and returns the next mixed value.
constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// FNV-1a over a purpose name.
constexpr uint64_t hash_name(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// xoshiro256** with the draws the simulator needs. A value type: copy it to fork a stream's position.
class Rng {
 public:
  using result_type = uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  /// A generator whose state is SplitMix64's expansion of `seed`.
  explicit Rng(uint64_t seed = 0) {
    uint64_t s = seed;
    for (auto& word : state_) word = splitmix64(s);
  }

  /// The stream for (seed, purpose, key): the one seeding rule (see the top of this file).
  static Rng stream(uint64_t seed, std::string_view purpose, uint64_t key = 0) {
    uint64_t s = seed ^ hash_name(purpose);
    uint64_t k = splitmix64(s) + key;
    return Rng(splitmix64(k));
  }

  /// The next 64 random bits.
  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  result_type operator()() { return next_u64(); }

  /// Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1]: safe under log.
  double uniform_open0() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias below n / 2^64, negligible here).
  uint64_t below(uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<uint64_t>((static_cast<u128>(next_u64()) * n) >> 64);
  }
  bool bernoulli(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log(uniform_open0()); }
  /// Standard normal (Box-Muller; one value per call, so a stream's position is one draw per call).
  double normal() {
    const double u1 = uniform_open0();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }
  /// Poisson with mean `mean` >= 0: inversion below 30, else a rounded normal (used for test statistics).
  int64_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean < 30) {
      double p = std::exp(-mean);
      double cdf = p;
      const double u = uniform();
      int64_t k = 0;
      while (u > cdf && k < 1000) {
        ++k;
        p *= mean / static_cast<double>(k);
        cdf += p;
      }
      return k;
    }
    const double x = std::floor(mean + std::sqrt(mean) * normal() + 0.5);
    return x < 0 ? 0 : static_cast<int64_t>(x);
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace moesim
