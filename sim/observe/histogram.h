// LogHistogram: a fixed-size histogram with about 1 % relative resolution from 1e-6 to 1e7, for latency and speed
// quantiles over hundreds of millions of samples in constant memory.
//
//   LogHistogram h;  h.add(0.35);  double p99 = h.quantile(0.99);
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace moesim::observe {

class LogHistogram {
 public:
  void add(double v) {
    ++count_;
    sum_ += v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    ++bins_[index(v)];
  }
  uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return count_ ? min_ : 0.0; }
  double max() const { return count_ ? max_ : 0.0; }
  /// The q-quantile (0 <= q <= 1), the geometric middle of its bin, clamped to [min, max]. 0 when empty.
  double quantile(double q) const {
    if (count_ == 0) return 0.0;
    auto target = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    if (target == 0) target = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBins; ++i) {
      seen += bins_[i];
      if (seen >= target) {
        double mid = i == 0 ? kLow : kLow * std::exp2((static_cast<double>(i) - 0.5) / kPerOctave);
        return std::fmin(std::fmax(mid, min_), max_);
      }
    }
    return max_;
  }

  /// The bin of v, by its definition: 0 up to kLow, then bins of 1/kPerOctave of an octave, the last open above.
  static size_t bin_by_log2(double v) {
    if (!(v > kLow)) return 0;
    auto i = static_cast<size_t>(std::log2(v / kLow) * kPerOctave) + 1;
    return i < kBins ? i : kBins - 1;
  }
  /// The same bin as bin_by_log2, found without a log2 (a libm call on every sample: 2 % of the reference day): the
  /// double's exponent and top mantissa bits pick a slot narrower than a bin, the slot gives its first bin, and one
  /// comparison with the next bin's least double settles it. The tables are made from bin_by_log2 itself (each bin's
  /// least double found by bisection on the doubles' bits), so the two agree wherever bin_by_log2 grows with v
  /// (tests/observe/histogram_test.cc checks them).
  static size_t index(double v) {
    if (!(v > kLow)) return 0;
    static const Edges& e = edges();
    uint64_t key = std::bit_cast<uint64_t>(v) >> kSlotShift;
    if (key >= e.key_end) return kBins - 1;
    size_t i = e.first[key - e.key_begin];
    return i + static_cast<size_t>(v >= e.lowest[i + 1]);
  }

 private:
  static constexpr double kLow = 1e-6;
  static constexpr double kPerOctave = 70.0;  // 2^(1/70) - 1 = 1.0 % per bin
  static constexpr size_t kBins = 3200;       // 1e-6 * 2^(3200/70) > 1e7
  static constexpr int kSlotShift = 52 - 7;   // 128 slots an octave, each under 0.8 % wide: at most one bin edge in it
  struct Edges {
    std::array<double, kBins + 1> lowest{};  // the least double of each bin (bins 1 and up); +inf past the last
    uint64_t key_begin = 0;
    uint64_t key_end = 0;
    std::vector<uint16_t> first;  // by slot from key_begin: the bin of the slot's least double
  };
  static const Edges& edges();  // histogram.cc: made once, on first use

  std::array<uint64_t, kBins> bins_{};
  uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = INFINITY;
  double max_ = -INFINITY;
};

}  // namespace moesim::observe
