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

/// Track ids: the compute SMs and the communication engine are two threads of one process.
inline constexpr int kTracePid = 1;
inline constexpr int kComputeTid = 1;
inline constexpr int kCommTid = 2;

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
/// tid kComputeTid or kCommTid. Throws std::invalid_argument for a layer range outside the schedule or an operators
/// span of the wrong size.
nlohmann::json chrome_trace(const Schedule& schedule, const ChromeTraceOptions& options = {});

/// Writes chrome_trace() to `path`. Throws moesim::InputError if the file cannot be written.
void write_chrome_trace(const std::string& path, const Schedule& schedule, const ChromeTraceOptions& options = {});

}  // namespace moesim::pipeline
