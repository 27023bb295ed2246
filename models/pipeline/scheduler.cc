#include "models/pipeline/scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/graph/topological_sort.hpp>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace moesim::pipeline {

std::string op_name(const ScheduledOp& op) { return op_name(op.micro_batch, op.layer, op.stage); }

double Schedule::busy_s(Resource resource) const {
  double busy = 0;
  for (const ScheduledOp& op : ops) {
    if (op.resource == resource) busy += op.end_s - op.start_s;
  }
  return busy;
}

PipelineScheduler::PipelineScheduler(TemplateKind kind, int layers)
    : PipelineScheduler(pipeline_template(kind), layers) {}

PipelineScheduler::PipelineScheduler(const PipelineTemplate& t, int layers) : template_(&t), layers_(layers) {
  if (layers < 4) {
    throw std::invalid_argument(
        fmt::format("PipelineScheduler: need at least 4 layers to see a steady state, got {}", layers));
  }
  if (template_->micro_batches > kMaxMicroBatches) {
    throw std::logic_error(fmt::format("pipeline template '{}': at most {} micro-batches are supported, got {}",
                                       template_->name, kMaxMicroBatches, template_->micro_batches));
  }
  graph_ = build_layer_graph(*template_, layers);
  period_from_ = layers / 4;
  period_to_ = layers - 2;

  std::vector<LayerGraph::vertex_descriptor> reverse_order;
  try {
    boost::topological_sort(graph_, std::back_inserter(reverse_order));
  } catch (const boost::not_a_dag&) {
    throw std::logic_error(
        fmt::format("pipeline template '{}': its resource orders contradict its dependencies", template_->name));
  }
  const std::size_t n = reverse_order.size();
  order_.assign(reverse_order.rbegin(), reverse_order.rend());
  std::vector<int> position(n);
  for (std::size_t i = 0; i < n; ++i) position[order_[i]] = static_cast<int>(i);

  pred_begin_.reserve(n + 1);
  pred_begin_.push_back(0);
  for (std::size_t i = 0; i < n; ++i) {
    auto v = static_cast<LayerGraph::vertex_descriptor>(order_[i]);
    for (auto e : boost::make_iterator_range(boost::in_edges(v, graph_))) {
      preds_.push_back(position[boost::source(e, graph_)]);
    }
    pred_begin_.push_back(static_cast<int>(preds_.size()));
    const OpNode& op = graph_[v];
    duration_index_.push_back(op.micro_batch * kNumStages + static_cast<int>(op.stage));
    is_compute_.push_back(op.resource == Resource::kCompute ? 1 : 0);
    layer_.push_back(op.layer);
  }
  stage_used_.assign(kNumStages, 0);
  for (Stage s : template_->stages) stage_used_[static_cast<int>(s)] = 1;
}

void PipelineScheduler::check(std::span<const StageDurations> micro_batches, const ScheduleOptions& options) const {
  if (static_cast<int>(micro_batches.size()) != template_->micro_batches) {
    throw std::invalid_argument(fmt::format("{}: expected stage durations for {} micro-batch(es), got {}",
                                            template_->name, template_->micro_batches, micro_batches.size()));
  }
  if (!(options.compute_time_factor > 0) || !std::isfinite(options.compute_time_factor)) {
    throw std::invalid_argument(
        fmt::format("{}: compute_time_factor must be positive, got {}", template_->name, options.compute_time_factor));
  }
  for (std::size_t mb = 0; mb < micro_batches.size(); ++mb) {
    for (int s = 0; s < kNumStages; ++s) {
      double d = micro_batches[mb][static_cast<Stage>(s)];
      if (!(d >= 0) || !std::isfinite(d)) {
        throw std::invalid_argument(fmt::format("{}: MB{} {} duration must be a finite number >= 0, got {}",
                                                template_->name, mb, stage_name(static_cast<Stage>(s)), d));
      }
      if (d != 0 && !stage_used_[s]) {
        throw std::invalid_argument(fmt::format("{}: MB{} has {} s for {}, a stage this template does not run",
                                                template_->name, mb, d, stage_name(static_cast<Stage>(s))));
      }
    }
  }
}

void PipelineScheduler::run(std::span<const StageDurations> micro_batches, const ScheduleOptions& options,
                            double* start_s, double* end_s) const {
  // Durations of every (micro-batch, stage), compute stages stretched.
  double durations[kMaxMicroBatches * kNumStages] = {};
  for (std::size_t mb = 0; mb < micro_batches.size(); ++mb) {
    for (int s = 0; s < kNumStages; ++s) {
      auto stage = static_cast<Stage>(s);
      double d = micro_batches[mb][stage];
      durations[mb * kNumStages + s] =
          stretched_by_sm_share(template_->resource_of(stage), stage) ? d * options.compute_time_factor : d;
    }
  }
  // Longest path in topological order: the resource-order edges make "its resource is free" one more predecessor.
  const std::size_t n = order_.size();
  for (std::size_t i = 0; i < n; ++i) {
    double start = 0;
    for (int p = pred_begin_[i]; p < pred_begin_[i + 1]; ++p) start = std::max(start, end_s[preds_[p]]);
    if (start_s != nullptr) start_s[i] = start;
    end_s[i] = start + durations[duration_index_[i]];
  }
}

Schedule PipelineScheduler::schedule(std::span<const StageDurations> micro_batches,
                                     const ScheduleOptions& options) const {
  check(micro_batches, options);
  const std::size_t n = order_.size();
  std::vector<double> start_s(n);
  std::vector<double> end_s(n);
  run(micro_batches, options, start_s.data(), end_s.data());

  Schedule out;
  out.kind = template_->kind;
  out.template_name = template_->name;
  out.micro_batches = template_->micro_batches;
  out.layers = layers_;
  out.ops.resize(n);
  out.layer_end_s.assign(static_cast<std::size_t>(layers_), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const OpNode& node = graph_[static_cast<LayerGraph::vertex_descriptor>(order_[i])];
    out.ops[order_[i]] = ScheduledOp{node.micro_batch, node.layer, node.stage, node.resource, start_s[i], end_s[i]};
    out.layer_end_s[node.layer] = std::max(out.layer_end_s[node.layer], end_s[i]);
    out.makespan_s = std::max(out.makespan_s, end_s[i]);
  }
  out.layer_period_s =
      (out.layer_end_s[period_to_] - out.layer_end_s[period_from_]) / static_cast<double>(period_to_ - period_from_);
  return out;
}

double PipelineScheduler::layer_period_seconds(std::span<const StageDurations> micro_batches,
                                               const ScheduleOptions& options) const {
  check(micro_batches, options);
  thread_local std::vector<double> end_s;  // reused: no allocation per call once grown
  if (end_s.size() < order_.size()) end_s.resize(order_.size());
  run(micro_batches, options, nullptr, end_s.data());
  return period_window(end_s.data()).period_s;
}

PipelineScheduler::Window PipelineScheduler::period_window(const double* end_s) const {
  double from = 0;
  Window w;
  for (std::size_t i = 0; i < order_.size(); ++i) {
    if (layer_[i] == period_from_) from = std::max(from, end_s[i]);
    if (layer_[i] == period_to_ && (w.last < 0 || end_s[i] > end_s[w.last])) w.last = static_cast<int>(i);
  }
  const double to = w.last < 0 ? 0.0 : end_s[w.last];
  w.period_s = (to - from) / static_cast<double>(period_to_ - period_from_);
  w.start_s = to - w.period_s;
  return w;
}

std::vector<ScheduledOp> PipelineScheduler::critical_cycle(std::span<const StageDurations> micro_batches,
                                                           const ScheduleOptions& options) const {
  check(micro_batches, options);
  const std::size_t n = order_.size();
  std::vector<double> start_s(n);
  std::vector<double> end_s(n);
  run(micro_batches, options, start_s.data(), end_s.data());
  const Window window = period_window(end_s.data());
  const double window_start = window.start_s;
  std::vector<ScheduledOp> chain;
  for (int i = window.last; i >= 0;) {
    const OpNode& node = graph_[static_cast<LayerGraph::vertex_descriptor>(order_[i])];
    chain.push_back(ScheduledOp{node.micro_batch, node.layer, node.stage, node.resource,
                                std::max(start_s[i], window_start), end_s[i]});
    if (start_s[i] <= window_start) break;
    int binding = -1;
    for (int p = pred_begin_[i]; p < pred_begin_[i + 1]; ++p) {
      if (binding < 0 || end_s[preds_[p]] > end_s[binding]) binding = preds_[p];
    }
    i = binding;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

double layer_period_seconds(TemplateKind kind, std::span<const StageDurations> micro_batches,
                            const ScheduleOptions& options) {
  static const PipelineScheduler kSchedulers[] = {
      PipelineScheduler(TemplateKind::kPrefillDualBatch), PipelineScheduler(TemplateKind::kDecodeFiveStage),
      PipelineScheduler(TemplateKind::kPrefillSerial), PipelineScheduler(TemplateKind::kDecodeSerial)};
  return kSchedulers[static_cast<int>(kind)].layer_period_seconds(micro_batches, options);
}

Schedule schedule_layers(TemplateKind kind, std::span<const StageDurations> micro_batches, int layers,
                         const ScheduleOptions& options) {
  return PipelineScheduler(kind, layers).schedule(micro_batches, options);
}

}  // namespace moesim::pipeline
