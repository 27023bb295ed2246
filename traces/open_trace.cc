// open_trace / open_trace_writer: the format dispatch, through the registry (traces/format_registry.h).
#include <fmt/format.h>

#include "common/error.h"
#include "traces/format_registry.h"
#include "traces/line_io.h"

namespace moesim::traces {

std::optional<std::string> detect_format(const std::filesystem::path& path, size_t buffer_bytes) {
  LineReader reader(path, buffer_bytes);
  std::string_view line;
  if (!reader.next(line)) throw InputError(fmt::format("{}: empty file", reader.name()));
  const TraceFormatEntry* format = trace_formats().detect(line);
  if (format == nullptr) return std::nullopt;
  return format->name;
}

std::unique_ptr<RequestSource> open_trace(const std::filesystem::path& path, std::string_view format,
                                          const ReadOptions& options) {
  const TraceFormats& formats = trace_formats();
  formats.check(format, path.string());
  if (format != "auto") return formats.get(format).make_reader(path, options);
  const auto detected = detect_format(path, options.buffer_bytes);
  if (!detected) {
    std::string looks, names;
    const auto& entries = formats.entries();
    for (size_t i = 0; i < entries.size(); ++i) {
      looks += (i == 0 ? "" : i + 1 == entries.size() ? " or " : ", ") + entries[i].first_line;
      names += (i == 0 ? "" : "|") + entries[i].name;
    }
    throw InputError(
        fmt::format("{}:1: cannot tell the trace format (expected {}); give --format {}", path.string(), looks, names));
  }
  return formats.get(*detected).make_reader(path, options);
}

std::string writer_format(const std::filesystem::path& path, std::string_view format) {
  return trace_formats().for_writing(path, format).name;
}

std::unique_ptr<RequestSink> open_trace_writer(const std::filesystem::path& path, std::string_view format,
                                               const WriteOptions& options) {
  return trace_formats().for_writing(path, format).make_writer(path, options);
}

}  // namespace moesim::traces
