// Pipeline templates: how the operators of consecutive MoE layers are ordered on the compute and communication
// resources, and which operator of a micro-batch waits for which.
//
//   const auto& t = moesim::pipeline::pipeline_template(moesim::pipeline::TemplateKind::kDecodeFiveStage);
//   // t.compute_cycle reads MB0 SHARED, MB1 COMBINE-RECV, MB1 ATTN-0, MB0 DISPATCH-RECV, MB0 MLP, ...
#pragma once

#include <string_view>
#include <vector>

#include "models/pipeline/stage.h"

namespace moesim::pipeline {

/// The built-in templates (docs/models/pipeline.md draws each one).
enum class TemplateKind : std::uint8_t {
  kPrefillDualBatch,  ///< prefill, two micro-batches, one's DISPATCH/COMBINE under the other's computation
  kDecodeFiveStage,   ///< decode, two micro-batches, 5 stages; send/receive kernels on compute, transfers in flight
  kPrefillSerial,     ///< prefill without overlap: one micro-batch, everything one after another
  kDecodeSerial,      ///< decode without overlap: one micro-batch, everything one after another
};

/// Which phase a unit serves.
enum class Phase : std::uint8_t { kPrefill, kDecode };

/// The template for a phase, with or without overlap.
TemplateKind template_for(Phase phase, bool overlap);

/// One entry of a resource's repeating order: in repetition (cycle) c it runs `stage` of `micro_batch` for layer
/// c + layer_offset. Offsets let an order interleave layers (decode runs MB0's next-layer ATTN-0 before MB1's MLP).
struct Slot {
  int micro_batch = 0;
  Stage stage = Stage::kAttn;
  int layer_offset = 0;
};

/// Within one micro-batch: `to` of layer l + layer_lag waits for `from` of layer l.
struct Dependency {
  Stage from = Stage::kAttn;
  Stage to = Stage::kAttn;
  int layer_lag = 0;
};

/// A template: the stages every micro-batch runs per layer, their dependencies, and per resource the order, one
/// layer's worth, repeated for every layer.
struct PipelineTemplate {
  TemplateKind kind = TemplateKind::kPrefillSerial;
  std::string_view name;      ///< e.g. "prefill dual-batch overlap"
  int micro_batches = 1;      ///< how many StageDurations the scheduler expects
  std::vector<Stage> stages;  ///< the stages each micro-batch runs per layer
  std::vector<Dependency> dependencies;
  std::vector<Slot> compute_cycle;  ///< order on Resource::kCompute, one layer's worth
  std::vector<Slot> comm_cycle;     ///< order on Resource::kComm, one layer's worth (empty when transfers fly)
  /// DISPATCH and COMBINE are in flight (decode's low-latency kernels: no stream, no SMs, any number at once)
  /// rather than on the communication SMs (prefill's normal kernels).
  bool transfers_in_flight = false;

  /// The order of one resource (in-flight operators have none: empty).
  const std::vector<Slot>& cycle(Resource resource) const {
    static const std::vector<Slot> kNone;
    if (resource == Resource::kInFlight) return kNone;
    return resource == Resource::kCompute ? compute_cycle : comm_cycle;
  }
  /// Where `stage` runs under this template.
  Resource resource_of(Stage stage) const { return stage_resource(stage, transfers_in_flight); }
};

/// The built-in template of this kind (a static object; the reference stays valid).
const PipelineTemplate& pipeline_template(TemplateKind kind);

/// Every built-in kind, for tests that loop over them.
inline constexpr TemplateKind kAllTemplateKinds[] = {TemplateKind::kPrefillDualBatch, TemplateKind::kDecodeFiveStage,
                                                     TemplateKind::kPrefillSerial, TemplateKind::kDecodeSerial};

/// How much longer compute takes when communication holds `comm_sms` of `total_sms` SMs, if compute time scales
/// inversely with the SMs it gets: total / (total - comm). DeepSeek's prefill: 132 SMs, 24 for DeepEP (profile-data
/// README), so 132 / 108 = 1.22. An upper bound for memory-bound kernels; a cost model that prices kernels on the
/// reduced SM count directly should pass 1 instead.
double sm_share_time_factor(int total_sms, int comm_sms);

}  // namespace moesim::pipeline
