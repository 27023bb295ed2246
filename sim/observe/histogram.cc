#include "sim/observe/histogram.h"

#include <stdexcept>

namespace moesim::observe {

const LogHistogram::Edges& LogHistogram::edges() {
  static const Edges e = [] {
    Edges t;
    auto bits = [](double x) { return std::bit_cast<uint64_t>(x); };
    auto value = [](uint64_t b) { return std::bit_cast<double>(b); };
    // The least double whose bin is at least i, in (lo, hi] (bin_by_log2(lo) < i <= bin_by_log2(hi)).
    auto least_in = [&](size_t i, uint64_t lo, uint64_t hi) {
      while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        (bin_by_log2(value(mid)) >= i ? hi : lo) = mid;
      }
      return value(hi);
    };
    for (size_t i = 1; i < kBins; ++i) {
      double guess = kLow * std::exp2(static_cast<double>(i - 1) / kPerOctave);  // the edge, to a few ulps
      uint64_t lo = bits(guess * (1 - 1e-9));
      uint64_t hi = bits(guess * (1 + 1e-9));
      if (i == 1 || bin_by_log2(value(lo)) >= i || bin_by_log2(value(hi)) < i) {
        lo = bits(kLow);
        hi = bits(std::numeric_limits<double>::max());
      }
      t.lowest[i] = least_in(i, lo, hi);
    }
    t.lowest[kBins] = INFINITY;
    t.key_begin = bits(kLow) >> kSlotShift;
    t.key_end = (bits(t.lowest[kBins - 1]) >> kSlotShift) + 1;
    t.first.resize(t.key_end - t.key_begin);
    for (uint64_t k = t.key_begin; k < t.key_end; ++k) {
      auto bin = bin_by_log2(value(k << kSlotShift));
      // index() makes one comparison: a slot's last double must be at most one bin past its first.
      if (k > t.key_begin && bin > t.first[k - 1 - t.key_begin] + 1u) {
        throw std::logic_error("LogHistogram: a slot spans two bin edges");
      }
      t.first[k - t.key_begin] = static_cast<uint16_t>(bin);
    }
    return t;
  }();
  return e;
}

}  // namespace moesim::observe
