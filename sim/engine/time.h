// Simulation time: `Time` (an instant) and `Duration` (a span), strong types over int64 nanoseconds, built only
// through unit factories and printed readably.
//
//   moesim::engine::Time t = moesim::engine::Time::zero() + moesim::engine::milliseconds(35);
//   std::string s = moesim::engine::to_string(t - moesim::engine::Time::zero());  // "35ms"
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>

#include "common/round.h"

namespace moesim::engine {

/// A span of simulated time, in integer nanoseconds. Passed by value.
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration from_ns(int64_t ns) { return Duration(ns); }
  /// Rounds to the nearest nanosecond. `s` must be finite and within +-292 years.
  static Duration from_seconds(double s) { return Duration(round_nearest(s * 1e9)); }
  static constexpr Duration max() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

constexpr Duration nanoseconds(int64_t n) { return Duration::from_ns(n); }
constexpr Duration microseconds(int64_t n) { return Duration::from_ns(n * 1'000); }
constexpr Duration milliseconds(int64_t n) { return Duration::from_ns(n * 1'000'000); }
constexpr Duration seconds(int64_t n) { return Duration::from_ns(n * 1'000'000'000); }
constexpr Duration minutes(int64_t n) { return seconds(n * 60); }
constexpr Duration hours(int64_t n) { return seconds(n * 3600); }

/// An instant of simulated time: nanoseconds since the start of the run.
class Time {
 public:
  constexpr Time() = default;
  static constexpr Time zero() { return Time(0); }
  static constexpr Time from_ns(int64_t ns) { return Time(ns); }
  static constexpr Time max() { return Time(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return Time(ns_ + d.ns()); }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.ns()); }
  constexpr Duration operator-(Time o) const { return Duration::from_ns(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) {
    ns_ += d.ns();
    return *this;
  }

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

/// "1.5s", "35ms", "120us", "7ns", "2h03m04.5s": the largest unit that keeps it short.
std::string to_string(Duration d);
/// The instant as a duration since zero, e.g. "12h00m00s".
std::string to_string(Time t);

}  // namespace moesim::engine
