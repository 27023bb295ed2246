#include "sim/engine/time.h"

#include <cstdio>

namespace moesim::engine {

std::string to_string(Duration d) {
  int64_t ns = d.ns();
  std::string sign = ns < 0 ? "-" : "";
  // Magnitude without overflow for the most negative value.
  uint64_t m = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  char buf[64];
  auto fmt_unit = [&](double value, const char* unit) {
    std::snprintf(buf, sizeof buf, "%s%.6g%s", sign.c_str(), value, unit);
    return std::string(buf);
  };
  if (m < 1'000) return fmt_unit(static_cast<double>(m), "ns");
  if (m < 1'000'000) return fmt_unit(static_cast<double>(m) / 1e3, "us");
  if (m < 1'000'000'000) return fmt_unit(static_cast<double>(m) / 1e6, "ms");
  if (m < 60ULL * 1'000'000'000) return fmt_unit(static_cast<double>(m) / 1e9, "s");
  uint64_t h = m / (3600ULL * 1'000'000'000);
  uint64_t rest = m % (3600ULL * 1'000'000'000);
  uint64_t min = rest / (60ULL * 1'000'000'000);
  double s = static_cast<double>(rest % (60ULL * 1'000'000'000)) / 1e9;
  std::snprintf(buf, sizeof buf, "%s%lluh%02llum%s%.6gs", sign.c_str(), static_cast<unsigned long long>(h),
                static_cast<unsigned long long>(min), s < 10 ? "0" : "", s);
  return buf;
}

std::string to_string(Time t) { return to_string(t - Time::zero()); }

}  // namespace moesim::engine
