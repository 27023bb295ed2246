// The list scheduler: runs a template's operator DAG for given stage durations. Each resource runs its operators in
// the template's order; an operator starts when its dependencies are done and its resource is free. From the schedule
// of several consecutive layers it takes the steady-state period of one MoE layer (both micro-batches).
//
//   moesim::pipeline::StageDurations a{.attn = 2e-3, .shared = 4e-4, .dispatch = 1.2e-3, .mlp = 3e-3, .combine
//   = 1.6e-3}; double period = layer_period_seconds(TemplateKind::kPrefillDualBatch, std::array{a, a});
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/pipeline/layer_graph.h"
#include "models/pipeline/pipeline_template.h"
#include "models/pipeline/stage.h"

namespace moesim::pipeline {

/// Layers scheduled to find the steady state: enough that the middle layers are past the pipeline's fill and
/// before its drain (tests check that 8 gives the same period as 32).
inline constexpr int kDefaultLayers = 8;

/// How durations are applied.
struct ScheduleOptions {
  /// Multiplies every compute stage, e.g. sm_share_time_factor(132, 24) when the cost model priced compute on all
  /// SMs but prefill's communication holds 24 of them. 1 (the default) uses the durations as given.
  double compute_time_factor = 1.0;
};

/// One scheduled operator.
struct ScheduledOp {
  int micro_batch = 0;
  int layer = 0;
  Stage stage = Stage::kAttn;
  Resource resource = Resource::kCompute;
  double start_s = 0;
  double end_s = 0;
};

/// "MB0 L3 DISPATCH".
std::string op_name(const ScheduledOp& op);

/// The full schedule of `layers` consecutive layers.
struct Schedule {
  TemplateKind kind = TemplateKind::kPrefillSerial;
  std::string_view template_name;  ///< PipelineTemplate::name
  int micro_batches = 1;
  int layers = 0;
  std::vector<ScheduledOp> ops;     ///< one per graph vertex, in vertex order (layer, micro-batch, stage)
  std::vector<double> layer_end_s;  ///< per layer, the end of its last operator (both micro-batches)
  double makespan_s = 0;            ///< end of the last operator
  double layer_period_s = 0;        ///< steady-state period of one layer (see PipelineScheduler)

  /// Seconds the resource is busy over the whole schedule.
  double busy_s(Resource resource) const;
};

/// A template unrolled over a fixed number of layers, ready to be scheduled many times with different durations.
/// Building it (graph, topological order) costs microseconds to a millisecond; scheduling it afterwards touches only
/// flat arrays. Thread-safe for concurrent const use.
class PipelineScheduler {
 public:
  /// Unrolls `kind` over `layers` consecutive layers (at least 4). Throws std::invalid_argument for fewer layers and
  /// std::logic_error if the template's orders contradict its dependencies (the schedule would deadlock).
  explicit PipelineScheduler(TemplateKind kind, int layers = kDefaultLayers);
  /// The same for a template of one's own; `t` must outlive the scheduler.
  explicit PipelineScheduler(const PipelineTemplate& t, int layers = kDefaultLayers);

  /// The template scheduled.
  const PipelineTemplate& pipeline() const { return *template_; }
  /// The operator DAG (durations 0; see assign_durations).
  const LayerGraph& graph() const { return graph_; }
  /// How many layers are unrolled.
  int layers() const { return layers_; }

  /// The start and end of every operator. `micro_batches` holds one StageDurations per micro-batch of the template
  /// (2 with overlap, 1 without). Throws std::invalid_argument for a wrong count, a negative or non-finite duration, a
  /// non-zero duration of a stage the template does not run, or a compute_time_factor that is not positive.
  Schedule schedule(std::span<const StageDurations> micro_batches, const ScheduleOptions& options = {}) const;

  /// The steady-state period of one layer: (end of layer k2 - end of layer k1) / (k2 - k1) with k1 = layers / 4 and
  /// k2 = layers - 2, where the end of a layer is the end of its last operator over both micro-batches. The first
  /// layers are the pipeline's fill and the last one its drain, so both are left out. Same checks as schedule().
  double layer_period_seconds(std::span<const StageDurations> micro_batches, const ScheduleOptions& options = {}) const;

  /// The critical cycle: the chain of operators that sets the steady-state period, in time order. It walks back from
  /// the last operator of layer k2 (see layer_period_seconds) through, at each step, the predecessor whose end is the
  /// operator's start (a dependency, the resource being free, or a flight landing), until it has covered one layer
  /// period. The operators' durations (clipped to the window) add up to the period. Same checks as schedule().
  std::vector<ScheduledOp> critical_cycle(std::span<const StageDurations> micro_batches,
                                          const ScheduleOptions& options = {}) const;

 private:
  void check(std::span<const StageDurations> micro_batches, const ScheduleOptions& options) const;
  // The steady-state window from end times by topological position: the period, the last operator of layer k2
  // (its position) and the window's start, one period before that operator's end.
  struct Window {
    double period_s = 0;
    double start_s = 0;
    int last = -1;
  };
  Window period_window(const double* end_s) const;
  // The hot loop of both public calls: fills end_s and, unless null, start_s, indexed by topological position.
  void run(std::span<const StageDurations> micro_batches, const ScheduleOptions& options, double* start_s,
           double* end_s) const;

  static constexpr int kMaxMicroBatches = 2;

  const PipelineTemplate* template_;
  int layers_;
  LayerGraph graph_;
  int period_from_;  // k1
  int period_to_;    // k2
  // Flat copies of the DAG in topological order: position i is vertex order_[i]; its predecessors are the positions
  // preds_[pred_begin_[i] .. pred_begin_[i + 1]), all smaller than i.
  std::vector<int> order_;
  std::vector<int> pred_begin_;
  std::vector<int> preds_;
  std::vector<int> duration_index_;  // micro_batch * kNumStages + stage
  std::vector<unsigned char> is_compute_;
  std::vector<int> layer_;
  std::vector<unsigned char> stage_used_;  // per Stage: does the template run it
};

/// The steady-state period of one layer under `kind` with kDefaultLayers layers unrolled (a scheduler per kind is
/// built once and shared). Microseconds per call.
double layer_period_seconds(TemplateKind kind, std::span<const StageDurations> micro_batches,
                            const ScheduleOptions& options = {});

/// The full schedule of `layers` layers under `kind` (builds a scheduler; for repeated calls keep a PipelineScheduler).
Schedule schedule_layers(TemplateKind kind, std::span<const StageDurations> micro_batches, int layers = kDefaultLayers,
                         const ScheduleOptions& options = {});

}  // namespace moesim::pipeline
