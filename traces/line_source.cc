#include "traces/line_source.h"

#include <fmt/format.h>

#include <limits>

#include "common/error.h"

namespace moesim::traces {

namespace {

// Quotes a field for a message, cut to a readable length.
std::string quoted(std::string_view field) {
  constexpr size_t kMax = 40;
  if (field.size() > kMax) return fmt::format("'{}...'", field.substr(0, kMax));
  return fmt::format("'{}'", field);
}

bool blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

}  // namespace

LineSource::LineSource(const std::filesystem::path& path, const ReadOptions& options)
    : reader_(path, options.buffer_bytes), options_(options), models_(options.default_model, options.models) {}

uint8_t LineSource::model_index(std::string_view name) {
  if (auto index = models_.index(name)) return *index;
  if (!ModelNames::well_formed(name)) {
    throw BadLine{fmt::format("model: expected a name (letters, digits, '.', '_', '-'), got '{}'", name)};
  }
  throw BadLine{fmt::format("model: '{}' is not served in this run (names accepted: {})", name, models_.accepted())};
}

bool LineSource::next(Request& out) {
  std::string_view line;
  while (reader_.next(line)) {
    ++counters_.lines;
    const int64_t number = reader_.line_number();
    if (in_preamble_) {
      try {
        if (preamble(line, number)) continue;
      } catch (const BadLine& bad) {
        throw InputError(fmt::format("{}:{}: {}", name(), number, bad.message));
      }
      in_preamble_ = false;
    }
    if (blank(line)) continue;  // a blank line holds no request (a trailing one is common)
    try {
      Request request;
      parse_line(line, request);
      if (!relative_to_first() && request.arrival_ns < 0) {
        throw BadLine{fmt::format("arrival time {:.6f} s is before the start of the trace", request.arrival_ns * 1e-9)};
      }
      if (counters_.requests > 0 && request.arrival_ns < last_raw_ns_) {
        // Readers stream: sorting would need the whole trace in memory. Out-of-order lines are rejected.
        throw BadLine{fmt::format(
            "timestamp out of order: {:.6f} s is earlier than the previous request's {:.6f} s (traces must be sorted "
            "by arrival time)",
            (request.arrival_ns - origin_ns_) * 1e-9, (last_raw_ns_ - origin_ns_) * 1e-9)};
      }
      last_raw_ns_ = request.arrival_ns;
      if (relative_to_first()) {
        if (counters_.requests == 0) origin_ns_ = request.arrival_ns;
        request.arrival_ns -= origin_ns_;
      }
      if (!has_sessions()) request.session = static_cast<uint64_t>(counters_.requests);
      ++counters_.requests;
      out = request;
      return true;
    } catch (const BadLine& bad) {
      std::string message = fmt::format("{}:{}: {}", name(), number, bad.message);
      if (!options_.skip_bad) throw InputError(message);
      ++counters_.skipped_bad;
      if (counters_.first_bad.size() < SourceCounters::kKeptMessages) counters_.first_bad.push_back(message);
    }
  }
  if (counters_.requests == 0) {
    if (reader_.empty_file()) throw InputError(fmt::format("{}: empty file", name()));
    if (counters_.skipped_bad > 0) {
      throw InputError(fmt::format("{}: no valid requests ({} bad lines skipped)", name(), counters_.skipped_bad));
    }
    throw InputError(fmt::format("{}: no requests", name()));
  }
  return false;
}

int64_t parse_integer(std::string_view field, std::string_view what) {
  int64_t value = 0;
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (field.empty()) throw BadLine{fmt::format("{}: missing value", what)};
  if (ec == std::errc::result_out_of_range) throw BadLine{fmt::format("{}: {} is out of range", what, quoted(field))};
  if (ec != std::errc() || ptr != end)
    throw BadLine{fmt::format("{}: expected an integer, got {}", what, quoted(field))};
  return value;
}

int32_t parse_length(std::string_view field, std::string_view what) {
  int64_t value = parse_integer(field, what);
  if (value <= 0 || value > std::numeric_limits<int32_t>::max()) {
    throw BadLine{fmt::format("{}: expected a positive token count, got {}", what, value)};
  }
  return static_cast<int32_t>(value);
}

size_t split_fields(std::string_view line, std::string_view* fields, size_t max) {
  size_t count = 0;
  for (;;) {
    size_t comma = line.find(',');
    if (count < max) fields[count] = line.substr(0, comma);
    ++count;
    if (comma == std::string_view::npos) return count;
    line.remove_prefix(comma + 1);
  }
}

}  // namespace moesim::traces
