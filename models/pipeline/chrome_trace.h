// Chrome trace export of a schedule: the Trace Event Format JSON that Perfetto (ui.perfetto.dev) and chrome://tracing
// open, laid out like DeepSeek's profile-data files: one track per resource, one complete ("X") event per operator.
//
//   auto s = schedule_layers(TemplateKind::kDecodeFiveStage, std::array{mb, mb});
//   write_chrome_trace("decode.json", s, {.first_layer = 2, .last_layer = 4});
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "models/pipeline/scheduler.h"
#include "models/pipeline/stage.h"

namespace moesim::pipeline {

/// Track ids: the compute SMs, the communication SMs and the transfers in flight are threads of one process. In
/// decode the send and receive kernels sit on the compute track, as in DeepSeek's decode.json, and the data between
/// them on the in-flight track.
inline constexpr int kTracePid = 1;
inline constexpr int kComputeTid = 1;
inline constexpr int kCommTid = 2;
inline constexpr int kInFlightTid = 3;

/// The track of a resource.
constexpr int trace_tid(Resource resource) {
  switch (resource) {
    case Resource::kCompute:
      return kComputeTid;
    case Resource::kComm:
      return kCommTid;
    case Resource::kInFlight:
      return kInFlightTid;
  }
  return kComputeTid;
}

/// What to export.
struct ChromeTraceOptions {
  int first_layer = 0;                      ///< first layer exported
  int last_layer = -1;                      ///< last layer exported; -1 means the schedule's last
  std::string process_name = "moesim GPU";  ///< the process track's title; the template's name is appended
  /// Optional, one per micro-batch: the operators inside each stage, drawn as slices nested in the stage's slice and
  /// stretched to fill it (so a compute_time_factor shows too). Empty: stages only.
  std::span<const StageOperators> operators = {};
};

/// The trace as JSON: {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}. Timestamps and durations
/// are in microseconds from the start of the schedule, rounded to whole nanoseconds. Every operator with a non-zero
/// duration in the chosen layers becomes an event named like "MB0 L3 DISPATCH" (category: the stage), pid kTracePid,
/// tid trace_tid(resource); a track is declared only when the schedule uses its resource. Throws std::invalid_argument
/// for a layer range outside the schedule or an operators span of the wrong size.
nlohmann::json chrome_trace(const Schedule& schedule, const ChromeTraceOptions& options = {});

/// Writes chrome_trace() to `path`. Throws moesim::InputError if the file cannot be written.
void write_chrome_trace(const std::string& path, const Schedule& schedule, const ChromeTraceOptions& options = {});

}  // namespace moesim::pipeline
