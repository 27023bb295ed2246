// The vocabulary of the overlap pipelines: the stages of one MoE layer, the two resources they run on, and the
// per-micro-batch stage durations that a cost model hands to the scheduler.
//
//   moesim::pipeline::StageDurations mb{.attn = 2.1e-3, .shared = 0.4e-3, .dispatch = 1.2e-3, .mlp = 2.9e-3,
//                                       .combine = 1.6e-3};
//   double compute = mb.compute_sum();  // 5.4e-3 s (everything but the two transfers)
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
/// kDispatch and kCombine are the all-to-all transfers: on the communication SMs in prefill (DeepEP normal kernels),
/// in flight on the network in decode (low-latency kernels), where a send kernel (kDispatchSend, kCombineSend) issues
/// them on the compute stream and a receive kernel (kDispatchRecv, kCombineRecv) finishes them there.
/// kNotify is prefill's DeepEP notify: the host waits for the per-rank token counts before it can launch more work,
/// so the compute stream sits idle for it.
enum class Stage : std::uint8_t {
  kAttn,
  kAttn0,
  kAttn1,
  kShared,
  kDispatch,
  kMlp,
  kCombine,
  kNotify,
  kDispatchSend,
  kDispatchRecv,
  kCombineSend,
  kCombineRecv
};
inline constexpr int kNumStages = 12;

/// Where an operator runs. Compute and communication are streams that run one operator at a time; an operator in
/// flight (data on the network after a send kernel returned) holds no stream and no SMs, so any number overlap.
enum class Resource : std::uint8_t { kCompute, kComm, kInFlight };
inline constexpr int kNumResources = 3;

/// "ATTN", "ATTN-0", "ATTN-1", "SHARED", "DISPATCH", "MLP", "COMBINE", "NOTIFY", "DISPATCH-SEND", "DISPATCH-RECV",
/// "COMBINE-SEND", "COMBINE-RECV".
std::string_view stage_name(Stage stage);
/// "compute", "communication" or "in flight".
std::string_view resource_name(Resource resource);
/// Is this one of the two all-to-all transfers (DISPATCH, COMBINE)?
constexpr bool is_transfer(Stage stage) { return stage == Stage::kDispatch || stage == Stage::kCombine; }
/// The resource of a stage when its template keeps transfers on the communication SMs (prefill, DeepEP normal
/// kernels) or in flight (decode, low-latency kernels). Every other stage runs on compute.
constexpr Resource stage_resource(Stage stage, bool transfers_in_flight = false) {
  if (!is_transfer(stage)) return Resource::kCompute;
  return transfers_in_flight ? Resource::kInFlight : Resource::kComm;
}

/// Seconds each stage of one layer takes for one micro-batch, on the resource it runs on. Compute stages are priced
/// as the cost model priced them; ScheduleOptions::compute_time_factor stretches them when communication holds SMs.
struct StageDurations {
  double attn = 0;           ///< prefill attention block (MLA, router)
  double attn0 = 0;          ///< decode: everything before core attention
  double attn1 = 0;          ///< decode: core attention, o_proj, router
  double shared = 0;         ///< shared expert
  double dispatch = 0;       ///< all-to-all to the experts' GPUs (on the comm SMs, or in flight)
  double mlp = 0;            ///< routed experts
  double combine = 0;        ///< all-to-all back (on the comm SMs, or in flight)
  double notify = 0;         ///< prefill: the host's wait for DeepEP's notify (compute stream idle)
  double dispatch_send = 0;  ///< decode: the low-latency dispatch's send kernel
  double dispatch_recv = 0;  ///< decode: its receive kernel's own work (waiting for data is the schedule's)
  double combine_send = 0;   ///< decode: the low-latency combine's send kernel
  double combine_recv = 0;   ///< decode: its receive kernel (reduction)

  /// The duration of one stage.
  double operator[](Stage stage) const;
  /// The duration of one stage, writable.
  double& operator[](Stage stage);
  /// Sum of the stages on the compute stream (everything but the two transfers).
  double compute_sum() const;
  /// Sum of the two transfers (dispatch, combine).
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
