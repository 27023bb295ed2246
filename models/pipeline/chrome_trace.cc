#include "models/pipeline/chrome_trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/error.h"

namespace moesim::pipeline {
namespace {

constexpr double kMicrosecondsPerSecond = 1e6;
constexpr double kNanosecondsPerSecond = 1e9;
constexpr double kNanosecondsPerMicrosecond = 1e3;

nlohmann::json metadata(const char* what, int tid, const std::string& name) {
  nlohmann::json e = {{"name", what}, {"ph", "M"}, {"pid", kTracePid}, {"args", {{"name", name}}}};
  if (tid >= 0) e["tid"] = tid;
  return e;
}

nlohmann::json op_args(const ScheduledOp& op) {
  return {{"micro_batch", op.micro_batch}, {"layer", op.layer}, {"stage", std::string(stage_name(op.stage))}};
}

}  // namespace

nlohmann::json chrome_trace(const Schedule& schedule, const ChromeTraceOptions& options) {
  int last = options.last_layer < 0 ? schedule.layers - 1 : options.last_layer;
  if (options.first_layer < 0 || options.first_layer > last || last >= schedule.layers) {
    throw std::invalid_argument(fmt::format("chrome_trace: layers {}..{} are outside the schedule's 0..{}",
                                            options.first_layer, last, schedule.layers - 1));
  }
  if (!options.operators.empty() && static_cast<int>(options.operators.size()) != schedule.micro_batches) {
    throw std::invalid_argument(fmt::format("chrome_trace: {} operator lists for {} micro-batch(es)",
                                            options.operators.size(), schedule.micro_batches));
  }

  nlohmann::json events = nlohmann::json::array();
  events.push_back(metadata("process_name", -1, fmt::format("{} ({})", options.process_name, schedule.template_name)));
  const std::pair<Resource, const char*> tracks[] = {{Resource::kCompute, "compute SMs"},
                                                     {Resource::kComm, "communication"},
                                                     {Resource::kInFlight, "in flight (RDMA, no SMs)"}};
  for (const auto& [resource, title] : tracks) {
    bool used = std::any_of(schedule.ops.begin(), schedule.ops.end(),
                            [r = resource](const ScheduledOp& op) { return op.resource == r; });
    if (!used) continue;
    events.push_back(metadata("thread_name", trace_tid(resource), title));
    events.push_back({{"name", "thread_sort_index"},
                      {"ph", "M"},
                      {"pid", kTracePid},
                      {"tid", trace_tid(resource)},
                      {"args", {{"sort_index", trace_tid(resource)}}}});
  }

  // Events per track in time order, so the file reads like a profile.
  std::vector<const ScheduledOp*> ops;
  for (const ScheduledOp& op : schedule.ops) {
    if (op.layer >= options.first_layer && op.layer <= last && op.end_s > op.start_s) ops.push_back(&op);
  }
  std::stable_sort(ops.begin(), ops.end(), [](const ScheduledOp* a, const ScheduledOp* b) {
    if (a->resource != b->resource) return a->resource < b->resource;
    return a->start_s < b->start_s;
  });
  // Times go out in whole nanoseconds (microseconds with 3 decimals, like profile-data), computed on integers so that
  // nested operator slices stay exactly inside their stage.
  auto ns = [](double seconds) { return std::llround(seconds * kNanosecondsPerSecond); };
  auto us = [](long long nanoseconds) { return static_cast<double>(nanoseconds) / kNanosecondsPerMicrosecond; };
  for (const ScheduledOp* op : ops) {
    const int tid = trace_tid(op->resource);
    const long long begin = ns(op->start_s);
    const long long end = ns(op->end_s);
    events.push_back({{"name", op_name(*op)},
                      {"cat", std::string(stage_name(op->stage))},
                      {"ph", "X"},
                      {"pid", kTracePid},
                      {"tid", tid},
                      {"ts", us(begin)},
                      {"dur", us(end - begin)},
                      {"args", op_args(*op)}});
    if (options.operators.empty()) continue;
    const auto& inner = options.operators[op->micro_batch][static_cast<int>(op->stage)];
    double nominal = 0;
    for (const OperatorTime& o : inner) nominal += std::max(0.0, o.seconds);
    if (nominal <= 0) continue;
    // Stretch the operators to the stage's scheduled length (a compute_time_factor shows in them too).
    double done = 0;
    long long child_begin = begin;
    for (const OperatorTime& o : inner) {
      if (o.seconds <= 0) continue;
      done += o.seconds;
      const long long child_end =
          begin + std::llround(static_cast<double>(end - begin) * std::min(1.0, done / nominal));
      nlohmann::json args = op_args(*op);
      args["stage_name"] = op_name(*op);
      events.push_back({{"name", o.name},
                        {"cat", "operator"},
                        {"ph", "X"},
                        {"pid", kTracePid},
                        {"tid", tid},
                        {"ts", us(child_begin)},
                        {"dur", us(child_end - child_begin)},
                        {"args", std::move(args)}});
      child_begin = child_end;
    }
  }
  return {{"traceEvents", std::move(events)},
          {"displayTimeUnit", "ms"},
          {"otherData",
           {{"template", std::string(schedule.template_name)},
            {"layers", schedule.layers},
            {"layer_period_us", schedule.layer_period_s * kMicrosecondsPerSecond}}}};
}

void write_chrome_trace(const std::string& path, const Schedule& schedule, const ChromeTraceOptions& options) {
  std::ofstream out(path);
  if (!out) throw InputError(fmt::format("{}: cannot open the Chrome trace file for writing", path));
  out << chrome_trace(schedule, options).dump(1) << '\n';
  if (!out) throw InputError(fmt::format("{}: cannot write the Chrome trace file", path));
}

}  // namespace moesim::pipeline
