#include "traces/demand_shape.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>

#include "common/error.h"
#include "traces/line_io.h"
#include "traces/line_source.h"

namespace moesim::traces {

namespace {

// "YYYY-MM-DD HH:MM" to minutes since 1970-01-01 00:00; nullopt if malformed.
std::optional<int64_t> parse_hour_start(std::string_view text) {
  auto num = [&text](size_t pos, size_t n, int& v) {
    if (pos + n > text.size()) return false;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + n, v);
    return ec == std::errc() && ptr == text.data() + pos + n;
  };
  int y, mo, d, h, mi;
  if (text.size() != 16 || !num(0, 4, y) || text[4] != '-' || !num(5, 2, mo) || text[7] != '-' || !num(8, 2, d) ||
      text[10] != ' ' || !num(11, 2, h) || text[13] != ':' || !num(14, 2, mi)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                   std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok() || h > 23 || mi > 59) return std::nullopt;
  return (std::chrono::sys_days(date).time_since_epoch().count() * 24 + h) * 60 + mi;
}

}  // namespace

std::vector<double> load_hourly_demand(const std::filesystem::path& csv) {
  LineReader reader(csv);
  std::string_view line;
  if (!reader.next(line)) throw InputError(fmt::format("{}: empty file", reader.name()));
  constexpr size_t kMaxFields = 16;
  std::string_view fields[kMaxFields];
  size_t columns = split_fields(line, fields, kMaxFields);
  int hour_column = -1;
  int demand_column = -1;
  for (size_t i = 0; i < std::min(columns, kMaxFields); ++i) {
    if (fields[i] == "hour_start_utc8") hour_column = static_cast<int>(i);
    if (fields[i] == kDemandColumn) demand_column = static_cast<int>(i);
  }
  if (hour_column < 0 || demand_column < 0) {
    throw InputError(fmt::format("{}:1: expected columns 'hour_start_utc8' and '{}'", reader.name(), kDemandColumn));
  }
  std::vector<double> values;
  std::optional<int64_t> previous;
  double total = 0;
  while (reader.next(line)) {
    if (line.empty()) continue;
    auto where = [&reader]() { return fmt::format("{}:{}", reader.name(), reader.line_number()); };
    size_t count = split_fields(line, fields, kMaxFields);
    if (count != columns) throw InputError(fmt::format("{}: expected {} fields, got {}", where(), columns, count));
    auto start = parse_hour_start(fields[hour_column]);
    if (!start) {
      throw InputError(
          fmt::format("{}: hour_start_utc8: expected 'YYYY-MM-DD HH:MM', got '{}'", where(), fields[hour_column]));
    }
    if (previous && *start != *previous + 60) {
      throw InputError(fmt::format("{}: hour_start_utc8: hours must be consecutive", where()));
    }
    previous = start;
    std::string_view text = fields[demand_column];
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value) || value <= 0) {
      throw InputError(fmt::format("{}: {}: expected a positive number, got '{}'", where(), kDemandColumn, text));
    }
    values.push_back(value);
    total += value;
  }
  if (values.empty()) throw InputError(fmt::format("{}: no hours", reader.name()));
  for (auto& v : values) v /= total;
  return values;
}

DemandShape::DemandShape(const std::vector<double>& shares) : shares_(shares) {
  const int n = static_cast<int>(shares.size());
  if (n == 0) throw InputError("demand shape: no hours");
  double c = 0;
  for (int h = 0; h < n; ++h) {
    const double prev = shares[(h + n - 1) % n];
    const double v = shares[h];
    const double next = shares[(h + 1) % n];
    const double left = (prev + v) / 2;   // base curve at the hour's start
    const double right = (v + next) / 2;  // and at its end
    // The base curve integrates to (prev + 6 v + next) / 8 over the hour; scale it to the hour's share.
    const double scale = v / ((prev + 6 * v + next) / 8);
    Segment first{static_cast<double>(h), scale * left, scale * (v - left) * 2, c};
    c += 0.5 * (first.rate0 + scale * v) / 2;
    Segment second{h + 0.5, scale * v, scale * (right - v) * 2, c};
    c += 0.5 * (second.rate0 + scale * right) / 2;
    segments_.push_back(first);
    segments_.push_back(second);
  }
  // c is 1 up to rounding; renormalize so that inverse_cdf(1) is the end of the day.
  for (auto& s : segments_) {
    s.rate0 /= c;
    s.slope /= c;
    s.c0 /= c;
  }
}

double DemandShape::density(double t) const {
  int i = std::clamp(static_cast<int>(std::floor(t * 2)), 0, static_cast<int>(segments_.size()) - 1);
  const Segment& s = segments_[i];
  return s.rate0 + s.slope * (t - s.t0);
}

double DemandShape::cdf(double t) const {
  if (t <= 0) return 0;
  if (t >= hours()) return 1;
  int i = std::clamp(static_cast<int>(std::floor(t * 2)), 0, static_cast<int>(segments_.size()) - 1);
  const Segment& s = segments_[i];
  double tau = t - s.t0;
  return s.c0 + s.rate0 * tau + s.slope * tau * tau / 2;
}

int DemandShape::segment_for(double u, int hint) const {
  int i = std::max(hint, 0);
  const int last = static_cast<int>(segments_.size()) - 1;
  while (i < last && segments_[i + 1].c0 <= u) ++i;
  return i;
}

double DemandShape::inverse_in_segment(double u, int segment) const {
  const Segment& s = segments_[segment];
  const double delta = std::max(0.0, u - s.c0);
  // Solve rate0 tau + slope tau^2 / 2 = delta in the cancellation-free form; rate0 > 0 always.
  const double tau = 2 * delta / (s.rate0 + std::sqrt(std::max(0.0, s.rate0 * s.rate0 + 2 * s.slope * delta)));
  return std::min(s.t0 + tau, s.t0 + 0.5);
}

double DemandShape::inverse_cdf(double u) const {
  u = std::clamp(u, 0.0, 1.0);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), u,
                             [](double value, const Segment& s) { return value < s.c0; });
  int i = std::max(0, static_cast<int>(it - segments_.begin()) - 1);
  return inverse_in_segment(u, i);
}

}  // namespace moesim::traces
