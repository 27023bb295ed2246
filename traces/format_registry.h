// The trace formats by name: how each is recognised by its first line, read, and (where it can be) written. A format
// is one file in traces/ (its reader, its writer and a function returning its TraceFormatEntry) plus one line in the
// list of traces/builtin_formats.cc; open_trace, open_trace_writer, `moesim trace`'s options and the scenario's
// workload.format take their names, help texts and error messages from here. "auto" is no format: it asks open_trace
// to detect the format from the first line and open_trace_writer to pick it by the file name.
//
//   const auto& formats = moesim::traces::trace_formats();
//   auto source = formats.get("mooncake").make_reader("trace.jsonl.gz", {});
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "traces/sink.h"
#include "traces/source.h"

namespace moesim::traces {

/// One trace format: data and factories, no subclass.
struct TraceFormatEntry {
  using Reader = std::function<std::unique_ptr<RequestSource>(const std::filesystem::path&, const ReadOptions&)>;
  using Writer = std::function<std::unique_ptr<RequestSink>(const std::filesystem::path&, const WriteOptions&)>;

  std::string name;  ///< "mooncake": the --format name and the scenario's workload.format value
  /// Whether a file whose first line is `first_line` is in this format (detection; formats are asked in list order).
  std::function<bool(std::string_view first_line)> recognises;
  std::string first_line;  ///< what recognises() looks for, for the error when no format does: "a JSON object"
  Reader make_reader;
  Writer make_writer;  ///< empty: the format is read only
  /// File-name endings that choose this format when writing with "auto" (".jsonl.gz"); a name no format claims is
  /// written in the list's first format.
  std::vector<std::string> writer_suffixes = {};
  /// When a written file drops part of a request, the sentence `moesim trace convert` prints about it: "the Azure
  /// format keeps arrival times (...) and lengths only". Empty: the format keeps everything.
  std::string written_note = {};
};

/// The registered formats, in the order they were added (the order users read in help texts and errors).
class TraceFormats {
 public:
  /// Registers a format; "auto", an empty name or a second registration of a name is a std::logic_error.
  void add(TraceFormatEntry entry);

  bool contains(std::string_view name) const { return find(name) != nullptr; }
  /// The format called `name`, or nullptr.
  const TraceFormatEntry* find(std::string_view name) const;
  /// The format called `name`; anything else (including "auto") is an InputError saying what was expected.
  const TraceFormatEntry& get(std::string_view name) const;
  /// Throws InputError "WHAT: expected auto, native, mooncake or azure, got 'x'" unless `name` is "auto" or registered.
  void check(std::string_view name, std::string_view what) const;

  /// The formats' names, in list order.
  std::vector<std::string> names() const;
  /// "native, mooncake, azure": the formats, for "expected one of ..." messages.
  std::string known() const;
  /// "auto, native, mooncake or azure": the accepted option values, for messages.
  std::string expected() const;
  /// "auto|native|mooncake|azure": the accepted option values, for help texts.
  std::string choices() const;
  /// "mooncake for *.jsonl, *.jsonl.gz, *.jsonl.zst, else native": what "auto" writes, for help texts.
  std::string writer_rule() const;
  const std::vector<TraceFormatEntry>& entries() const { return entries_; }

  /// The first format recognising `first_line`, or nullptr.
  const TraceFormatEntry* detect(std::string_view first_line) const;
  /// The format a file named `path` is written in: `name` when it is not "auto", else the format claiming the file
  /// name's ending, else the first writable one. A format without a writer is an InputError.
  const TraceFormatEntry& for_writing(const std::filesystem::path& path, std::string_view name) const;

 private:
  std::vector<TraceFormatEntry> entries_;
};

/// Registers moesim's formats (traces/builtin_formats.cc: one line each).
void register_builtin_trace_formats(TraceFormats& formats);

/// The built-in formats, registered once (thread-safe), then read-only.
const TraceFormats& trace_formats();

}  // namespace moesim::traces
