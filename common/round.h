// round_nearest: std::llround's result (the nearest integer, halves away from zero), inline. libm's llround is a call
// that the simulation makes for every duration it schedules and every drawn length (3 % of the reference day's time);
// this is the same function, bit for bit, for every finite x within int64's range.
//
//   int64_t ns = moesim::round_nearest(seconds * 1e9);
#pragma once

#include <cstdint>

namespace moesim {

/// std::llround(x) for finite |x| < 2^63. The truncation t is exact in a double (|x| < 2^53 keeps t's bits; above,
/// x is already an integer), and so is x - t (the two are within a factor of two of each other, or t is 0).
inline int64_t round_nearest(double x) {
  auto t = static_cast<int64_t>(x);
  double frac = x - static_cast<double>(t);
  return t + static_cast<int64_t>(frac >= 0.5) - static_cast<int64_t>(frac <= -0.5);
}

}  // namespace moesim
