// LogHistogram: a fixed-size histogram with about 1 % relative resolution from 1e-6 to 1e7, for latency and speed
// quantiles over hundreds of millions of samples in constant memory.
//
//   LogHistogram h;  h.add(0.35);  double p99 = h.quantile(0.99);
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

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

 private:
  static constexpr double kLow = 1e-6;
  static constexpr double kPerOctave = 70.0;  // 2^(1/70) - 1 = 1.0 % per bin
  static constexpr size_t kBins = 3200;       // 1e-6 * 2^(3200/70) > 1e7

  static size_t index(double v) {
    if (!(v > kLow)) return 0;
    auto i = static_cast<size_t>(std::log2(v / kLow) * kPerOctave) + 1;
    return i < kBins ? i : kBins - 1;
  }

  std::array<uint64_t, kBins> bins_{};
  uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = INFINITY;
  double max_ = -INFINITY;
};

}  // namespace moesim::observe
