#include "models/pipeline/pipeline_template.h"

#include <stdexcept>
#include <string>

namespace moesim::pipeline {
namespace {

constexpr int kA = 0;  // micro-batch A (MB0)
constexpr int kB = 1;  // micro-batch B (MB1)

PipelineTemplate make_prefill_dual_batch() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kPrefillDualBatch;
  t.name = "prefill dual-batch overlap";
  t.micro_batches = 2;
  t.stages = {kAttn, kShared, kDispatch, kMlp, kCombine};
  // One micro-batch: ATTN -> DISPATCH -> MLP -> COMBINE -> next ATTN; SHARED reads ATTN's output and its result is
  // summed with COMBINE's before the next layer's ATTN (design/modeling.md section 2).
  t.dependencies = {{kAttn, kDispatch, 0}, {kDispatch, kMlp, 0}, {kMlp, kCombine, 0},
                    {kAttn, kShared, 0},   {kCombine, kAttn, 1}, {kShared, kAttn, 1}};
  // The compute order of DeepSeek's prefill schematic as SGLang implements it (two-batch overlap with
  // tbo_delta_stages = 0; SHARED runs while the same micro-batch's COMBINE is in flight):
  //   A ATTN | B SHARED(prev layer) B ATTN | A MLP | B MLP | A SHARED
  // so that on the communication stream A's DISPATCH runs under B's ATTN, B's DISPATCH under A's MLP, A's COMBINE
  // under B's MLP and A's SHARED, and B's COMBINE under A's next ATTN and B's SHARED.
  t.compute_cycle = {{kA, kAttn, 0}, {kB, kShared, -1}, {kB, kAttn, 0}, {kA, kMlp, 0}, {kB, kMlp, 0}, {kA, kShared, 0}};
  t.comm_cycle = {{kA, kDispatch, 0}, {kB, kDispatch, 0}, {kA, kCombine, 0}, {kB, kCombine, 0}};
  return t;
}

PipelineTemplate make_decode_five_stage() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kDecodeFiveStage;
  t.name = "decode 5-stage overlap";
  t.micro_batches = 2;
  t.stages = {kAttn0, kAttn1, kShared, kDispatch, kMlp, kCombine};
  t.dependencies = {{kAttn0, kAttn1, 0},  {kAttn1, kDispatch, 0}, {kDispatch, kMlp, 0}, {kMlp, kCombine, 0},
                    {kAttn1, kShared, 0}, {kCombine, kAttn0, 1},  {kShared, kAttn0, 1}};
  // DeepSeek's decode schematic reads the compute stream SHARED, ATTN-0, MLP, ATTN-1 with the micro-batches
  // alternating: SHARED and MLP of one, ATTN-0 and ATTN-1 of the other, then the roles swap. Within a micro-batch
  // that is ATTN-0, ATTN-1, SHARED (DISPATCH in flight), MLP (COMBINE in flight), wait, next ATTN-0: the five
  // stages, with B two stages behind A (SGLang's tbo_delta_stages = 2). One cycle, starting at A's SHARED of layer c:
  t.compute_cycle = {{kA, kShared, 0}, {kB, kAttn0, 0}, {kA, kMlp, 0}, {kB, kAttn1, 0},
                     {kB, kShared, 0}, {kA, kAttn0, 1}, {kB, kMlp, 0}, {kA, kAttn1, 1}};
  // Communication in the order it is issued: A's COMBINE after A's MLP, B's DISPATCH after B's ATTN-1, B's COMBINE
  // after B's MLP, A's next DISPATCH after A's next ATTN-1.
  t.comm_cycle = {{kA, kCombine, 0}, {kB, kDispatch, 0}, {kB, kCombine, 0}, {kA, kDispatch, 1}};
  return t;
}

PipelineTemplate make_prefill_serial() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kPrefillSerial;
  t.name = "prefill without overlap";
  t.micro_batches = 1;
  t.stages = {kAttn, kShared, kDispatch, kMlp, kCombine};
  t.dependencies = {
      {kAttn, kShared, 0}, {kShared, kDispatch, 0}, {kDispatch, kMlp, 0}, {kMlp, kCombine, 0}, {kCombine, kAttn, 1}};
  t.compute_cycle = {{0, kAttn, 0}, {0, kShared, 0}, {0, kMlp, 0}};
  t.comm_cycle = {{0, kDispatch, 0}, {0, kCombine, 0}};
  return t;
}

PipelineTemplate make_decode_serial() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kDecodeSerial;
  t.name = "decode without overlap";
  t.micro_batches = 1;
  t.stages = {kAttn0, kAttn1, kShared, kDispatch, kMlp, kCombine};
  t.dependencies = {{kAttn0, kAttn1, 0},  {kAttn1, kShared, 0}, {kShared, kDispatch, 0},
                    {kDispatch, kMlp, 0}, {kMlp, kCombine, 0},  {kCombine, kAttn0, 1}};
  t.compute_cycle = {{0, kAttn0, 0}, {0, kAttn1, 0}, {0, kShared, 0}, {0, kMlp, 0}};
  t.comm_cycle = {{0, kDispatch, 0}, {0, kCombine, 0}};
  return t;
}

}  // namespace

TemplateKind template_for(Phase phase, bool overlap) {
  if (phase == Phase::kPrefill) return overlap ? TemplateKind::kPrefillDualBatch : TemplateKind::kPrefillSerial;
  return overlap ? TemplateKind::kDecodeFiveStage : TemplateKind::kDecodeSerial;
}

const PipelineTemplate& pipeline_template(TemplateKind kind) {
  static const PipelineTemplate kTemplates[] = {make_prefill_dual_batch(), make_decode_five_stage(),
                                                make_prefill_serial(), make_decode_serial()};
  return kTemplates[static_cast<int>(kind)];
}

double sm_share_time_factor(int total_sms, int comm_sms) {
  if (total_sms <= 0 || comm_sms < 0 || comm_sms >= total_sms) {
    throw std::invalid_argument("sm_share_time_factor: need 0 <= comm_sms < total_sms, got " +
                                std::to_string(comm_sms) + " of " + std::to_string(total_sms));
  }
  return static_cast<double>(total_sms) / static_cast<double>(total_sms - comm_sms);
}

}  // namespace moesim::pipeline
