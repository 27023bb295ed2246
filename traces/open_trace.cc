// open_trace / open_trace_writer: the format dispatch.
#include <fmt/format.h>

#include "common/error.h"
#include "traces/formats.h"

namespace moesim::traces {

TraceFormat detect_format(const std::filesystem::path& path, size_t buffer_bytes) {
  LineReader reader(path, buffer_bytes);
  std::string_view line;
  if (!reader.next(line)) throw InputError(fmt::format("{}: empty file", reader.name()));
  if (line.starts_with(kNativeMagic)) return TraceFormat::kNative;
  if (line.starts_with(kAzureHeader.substr(0, 10))) return TraceFormat::kAzure;  // "TIMESTAMP,"
  size_t first = line.find_first_not_of(" \t");
  if (first != std::string_view::npos && line[first] == '{') return TraceFormat::kMooncake;
  return TraceFormat::kAuto;
}

std::unique_ptr<RequestSource> open_trace(const std::filesystem::path& path, TraceFormat format,
                                          const ReadOptions& options) {
  if (format == TraceFormat::kAuto) {
    format = detect_format(path, options.buffer_bytes);
    if (format == TraceFormat::kAuto) {
      throw InputError(fmt::format(
          "{}:1: cannot tell the trace format (expected '#moesim-trace v1', a JSON object or the Azure header "
          "'{}'); give --format native|mooncake|azure",
          path.string(), kAzureHeader));
    }
  }
  switch (format) {
    case TraceFormat::kNative:
      return make_native_reader(path, options);
    case TraceFormat::kMooncake:
      return make_mooncake_reader(path, options);
    case TraceFormat::kAzure:
      return make_azure_reader(path, options);
    case TraceFormat::kAuto:
      break;
  }
  throw InputError(fmt::format("{}: unknown trace format", path.string()));
}

TraceFormat writer_format(const std::filesystem::path& path, TraceFormat format) {
  if (format != TraceFormat::kAuto) return format;
  std::string name = path.filename().string();
  for (std::string_view suffix : {".jsonl", ".jsonl.gz", ".jsonl.zst"}) {
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return TraceFormat::kMooncake;
    }
  }
  return TraceFormat::kNative;
}

std::unique_ptr<RequestSink> open_trace_writer(const std::filesystem::path& path, TraceFormat format,
                                               const WriteOptions& options) {
  switch (writer_format(path, format)) {
    case TraceFormat::kMooncake:
      return make_mooncake_writer(path, options);
    case TraceFormat::kAzure:
      return make_azure_writer(path, options);
    default:
      return make_native_writer(path, options);
  }
}

}  // namespace moesim::traces
