// The common part of the trace readers: one request per line, bad-line handling, arrival-order check, counters.
// Each format implements the preamble (header lines) and the parsing of one line.
//
//   class AzureReader final : public LineSource { ... bool parse_line(std::string_view, Request&) override; };
//   throw BadLine("ContextTokens: expected a positive integer, got 0");  // becomes "file:17: ContextTokens: ..."
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "traces/line_io.h"
#include "traces/source.h"

namespace moesim::traces {

/// Thrown by a format's line parser; LineSource adds "file:line: " and either fails or skips the line.
struct BadLine {
  std::string message;
};

/// Base of the line-oriented readers.
class LineSource : public RequestSource {
 public:
  LineSource(const std::filesystem::path& path, const ReadOptions& options);

  bool next(Request& out) final;
  const SourceCounters& counters() const final { return counters_; }
  const std::string& name() const final { return reader_.name(); }
  const std::vector<std::string>& models() const final { return models_.names(); }

 protected:
  /// Consumes header lines before the first request: returns true if `line` was one. Errors here are fatal
  /// (throw BadLine; they are never skipped).
  virtual bool preamble(std::string_view line, int64_t line_number) = 0;
  /// Parses one request line into `out` (arrival in ns on the format's own clock) or throws BadLine.
  virtual void parse_line(std::string_view line, Request& out) = 0;
  /// Whether arrival times count from the first request (wall-clock formats) rather than from 0.
  virtual bool relative_to_first() const { return false; }
  /// Whether the format carries session ids (if not, session = the request's index).
  virtual bool has_sessions() const { return false; }

  const ReadOptions& options() const { return options_; }
  /// The index of a model column's name, or BadLine naming it and the names this run serves.
  uint8_t model_index(std::string_view name);

 private:
  LineReader reader_;
  ReadOptions options_;
  ModelNames models_;
  SourceCounters counters_;
  bool in_preamble_ = true;
  int64_t origin_ns_ = 0;    // clock reading of the first request (relative_to_first formats), else 0
  int64_t last_raw_ns_ = 0;  // previous request's arrival on the format's own clock
};

/// The integer in `field` (the whole field), or BadLine "`what`: expected an integer, got 'field'".
int64_t parse_integer(std::string_view field, std::string_view what);
/// A token count: an integer in [1, 2^31 - 1], else BadLine naming `what`.
int32_t parse_length(std::string_view field, std::string_view what);
/// Splits `line` at commas into `fields` (at most `max` of them) and returns how many fields the line has (which may
/// exceed `max`; then only the first `max` are stored). "a,,b" has 3 fields, "" has 1.
size_t split_fields(std::string_view line, std::string_view* fields, size_t max);

}  // namespace moesim::traces
