// The vocabulary of the overlap pipelines: the stages of one MoE layer, the two resources they run on, and the
// per-micro-batch stage durations that a cost model hands to the scheduler.
//
//   moesim::pipeline::StageDurations mb{.attn = 2.1e-3, .shared = 0.4e-3, .dispatch = 1.2e-3, .mlp = 2.9e-3,
//                                       .combine = 1.6e-3};
//   double compute = mb.compute_sum();  // 5.4e-3 s
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moesim::pipeline {

/// One stage of one MoE layer for one micro-batch (DeepSeek's profile-data schematics name them so).
/// Prefill uses kAttn; decode splits attention into kAttn0 (norm, MLA down/up projections, everything before core
/// attention) and kAttn1 (core attention, o_proj, router).
enum class Stage : std::uint8_t { kAttn, kAttn0, kAttn1, kShared, kDispatch, kMlp, kCombine };
inline constexpr int kNumStages = 7;

/// The two streams of a GPU: the compute SMs and the communication engine / network. Each runs one operator at a time.
enum class Resource : std::uint8_t { kCompute, kComm };
inline constexpr int kNumResources = 2;

/// "ATTN", "ATTN-0", "ATTN-1", "SHARED", "DISPATCH", "MLP", "COMBINE".
std::string_view stage_name(Stage stage);
/// "compute" or "communication".
std::string_view resource_name(Resource resource);
/// DISPATCH and COMBINE run on the communication resource, every other stage on compute.
constexpr Resource stage_resource(Stage stage) {
  return stage == Stage::kDispatch || stage == Stage::kCombine ? Resource::kComm : Resource::kCompute;
}

/// Seconds each stage of one layer takes for one micro-batch, on the resource it runs on. Compute stages are priced
/// as the cost model priced them; ScheduleOptions::compute_time_factor stretches them when communication holds SMs.
struct StageDurations {
  double attn = 0;      ///< prefill attention block (MLA, router)
  double attn0 = 0;     ///< decode: everything before core attention
  double attn1 = 0;     ///< decode: core attention, o_proj, router
  double shared = 0;    ///< shared expert
  double dispatch = 0;  ///< all-to-all to the experts' GPUs
  double mlp = 0;       ///< routed experts
  double combine = 0;   ///< all-to-all back, weighted sum

  /// The duration of one stage.
  double operator[](Stage stage) const;
  /// The duration of one stage, writable.
  double& operator[](Stage stage);
  /// Sum of the compute stages (attn, attn0, attn1, shared, mlp).
  double compute_sum() const;
  /// Sum of the communication stages (dispatch, combine).
  double comm_sum() const;
};

/// One named operator inside a stage (for example "o_proj" inside ATTN-1), so that traces keep the cost model's names.
struct OperatorTime {
  std::string name;
  double seconds = 0;
};

/// The operators of every stage of one micro-batch, indexed by Stage; each stage's operators run one after another.
using StageOperators = std::array<std::vector<OperatorTime>, kNumStages>;

/// Per-stage sums of the operators: what the scheduler needs.
StageDurations stage_durations(const StageOperators& operators);

}  // namespace moesim::pipeline
