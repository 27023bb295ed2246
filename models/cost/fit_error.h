// The error measure every fit of models/cost reports: the root mean square of relative errors (predicted / measured
// - 1), so a 10 us kernel weighs as much as a 3 ms one.
//
//   double e = moesim::cost::rms({0.05, -0.03});
#pragma once

#include <cmath>
#include <vector>

namespace moesim::cost {

inline double rms(const std::vector<double>& errors) {
  double sum = 0;
  for (double e : errors) sum += e * e;
  return errors.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(errors.size()));
}

}  // namespace moesim::cost
