// moesim's trace formats, one line each: a format's file (traces/NAME_format.cc) defines NAME_format(), its entry
// (name, first-line test, reader, writer, file-name endings). The list is an explicit call, not self-registering
// static objects, which a static library would drop. Its order is the order users read the names in, and the first
// format is what "auto" writes for a file name no format claims.
#include "traces/format_registry.h"

namespace moesim::traces {

TraceFormatEntry native_format();
TraceFormatEntry mooncake_format();
TraceFormatEntry azure_format();

void register_builtin_trace_formats(TraceFormats& formats) {
  for (auto* entry : {native_format, mooncake_format, azure_format}) formats.add(entry());
}

}  // namespace moesim::traces
