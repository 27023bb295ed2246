// The Azure LLM inference trace 2023 (Azure/AzurePublicDataset): CSV with the header
// "TIMESTAMP,ContextTokens,GeneratedTokens"; TIMESTAMP is a wall-clock time "2023-11-16 18:15:46.6805900".
// Arrival times count from the first request.
#include <fmt/format.h>

#include <chrono>

#include "traces/format_registry.h"
#include "traces/formats.h"
#include "traces/line_source.h"

namespace moesim::traces {

namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
/// The Azure LLM inference trace 2023 header.
constexpr std::string_view kAzureHeader = "TIMESTAMP,ContextTokens,GeneratedTokens";

// Reads exactly `digits` decimal digits at text[pos...] into value.
bool digits_at(std::string_view text, size_t pos, size_t digits, int& value) {
  if (pos + digits > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

// "YYYY-MM-DD HH:MM:SS[.f...]" (up to 9 fractional digits) to ns since 1970-01-01 00:00 (the trace's own clock).
int64_t parse_timestamp(std::string_view text) {
  auto bad = [&text]() {
    return BadLine{fmt::format("TIMESTAMP: expected 'YYYY-MM-DD HH:MM:SS.fffffff', got '{}'", text.substr(0, 40))};
  };
  int year, month, day, hour, minute, second;
  if (text.size() < 19 || !digits_at(text, 0, 4, year) || text[4] != '-' || !digits_at(text, 5, 2, month) ||
      text[7] != '-' || !digits_at(text, 8, 2, day) || text[10] != ' ' || !digits_at(text, 11, 2, hour) ||
      text[13] != ':' || !digits_at(text, 14, 2, minute) || text[16] != ':' || !digits_at(text, 17, 2, second)) {
    throw bad();
  }
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  // Years 1900-2200 keep nanoseconds since 1970 inside int64.
  if (!date.ok() || year < 1900 || year > 2200 || hour > 23 || minute > 59 || second > 59) throw bad();
  int64_t fraction_ns = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20 || text.size() > 29) throw bad();
    int64_t scale = 100'000'000;
    for (size_t i = 20; i < text.size(); ++i, scale /= 10) {
      if (text[i] < '0' || text[i] > '9') throw bad();
      fraction_ns += (text[i] - '0') * scale;
    }
  }
  int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * 60 * kNsPerSecond + second * kNsPerSecond + fraction_ns;
}

class AzureReader final : public LineSource {
 public:
  AzureReader(const std::filesystem::path& path, const ReadOptions& options) : LineSource(path, options) {}

 protected:
  bool preamble(std::string_view line, int64_t line_number) override {
    if (line_number > 1) return false;
    if (line != kAzureHeader) throw BadLine{fmt::format("expected the Azure trace header '{}'", kAzureHeader)};
    return true;
  }

  bool relative_to_first() const override { return true; }

  void parse_line(std::string_view line, Request& out) override {
    std::string_view f[3];
    size_t count = split_fields(line, f, 3);
    if (count != 3) throw BadLine{fmt::format("expected 3 comma-separated fields, got {}", count)};
    out.arrival_ns = parse_timestamp(f[0]);
    out.input_tokens = parse_length(f[1], "ContextTokens");
    out.output_tokens = parse_length(f[2], "GeneratedTokens");
    out.cached_tokens = 0;
    out.model = 0;  // the run's default model (ReadOptions::default_model)
  }
};

class AzureWriter final : public RequestSink {
 public:
  AzureWriter(const std::filesystem::path& path, const WriteOptions& options) : out_(path, options.zstd_level) {
    fmt::format_to(std::back_inserter(out_.buffer()), "{}\n", kAzureHeader);
  }

  void write(const Request& r, std::span<const uint64_t>, std::string_view) override {
    // Relative times are written from 2023-11-16 00:00:00, the date of the published Azure traces.
    using namespace std::chrono;
    constexpr int64_t kBaseDays = sys_days(year_month_day{year(2023), month(11), day(16)}).time_since_epoch().count();
    int64_t seconds = r.arrival_ns / kNsPerSecond;
    int64_t days = kBaseDays + seconds / 86400;
    int64_t in_day = seconds % 86400;
    year_month_day date{sys_days(sys_days::duration(days))};
    fmt::format_to(std::back_inserter(out_.buffer()), "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:07},{},{}\n",
                   static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                   static_cast<unsigned>(date.day()), in_day / 3600, in_day / 60 % 60, in_day % 60,
                   r.arrival_ns % kNsPerSecond / 100, r.input_tokens, r.output_tokens);
    out_.maybe_flush();
  }

  void close() override { out_.close(); }

 private:
  BufferedText out_;
};

}  // namespace

TraceFormatEntry azure_format() {
  return {
      .name = "azure",
      .recognises = [](std::string_view line) { return line.starts_with(kAzureHeader.substr(0, 10)); },  // "TIMESTAMP,"
      .first_line = fmt::format("the Azure header '{}'", kAzureHeader),
      .make_reader = [](const auto& path, const auto& options) { return std::make_unique<AzureReader>(path, options); },
      .make_writer = [](const auto& path, const auto& options) { return std::make_unique<AzureWriter>(path, options); },
      .written_note = "the Azure format keeps arrival times (from 2023-11-16 00:00:00) and lengths only"};
}

}  // namespace moesim::traces
