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
  t.stages = {kAttn, kNotify, kShared, kDispatch, kMlp, kCombine};
  // One micro-batch: ATTN -> NOTIFY -> DISPATCH -> MLP -> COMBINE -> next ATTN; SHARED reads ATTN's output and its
  // result is summed with COMBINE's before the next layer's ATTN (design/modeling.md section 2). NOTIFY is DeepEP
  // normal mode's count exchange: the host blocks on it (it must size the receive buffers) before it launches the
  // next kernels, so it sits on the compute stream as idle time right after the ATTN that produced the routing.
  t.dependencies = {{kAttn, kNotify, 0}, {kNotify, kDispatch, 0}, {kDispatch, kMlp, 0}, {kMlp, kCombine, 0},
                    {kAttn, kShared, 0}, {kCombine, kAttn, 1},    {kShared, kAttn, 1}};
  // The compute order of DeepSeek's prefill schematic as SGLang implements it (two-batch overlap with
  // tbo_delta_stages = 0; SHARED runs while the same micro-batch's COMBINE is in flight):
  //   A ATTN, A NOTIFY | B SHARED(prev layer) B ATTN, B NOTIFY | A MLP | B MLP | A SHARED
  // so that on the communication stream A's DISPATCH runs under B's ATTN, B's DISPATCH under A's MLP, A's COMBINE
  // under B's MLP and A's SHARED, and B's COMBINE under A's next ATTN and B's SHARED.
  t.compute_cycle = {{kA, kAttn, 0},   {kA, kNotify, 0}, {kB, kShared, -1}, {kB, kAttn, 0},
                     {kB, kNotify, 0}, {kA, kMlp, 0},    {kB, kMlp, 0},     {kA, kShared, 0}};
  t.comm_cycle = {{kA, kDispatch, 0}, {kB, kDispatch, 0}, {kA, kCombine, 0}, {kB, kCombine, 0}};
  return t;
}

PipelineTemplate make_decode_five_stage() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kDecodeFiveStage;
  t.name = "decode 5-stage overlap";
  t.micro_batches = 2;
  t.transfers_in_flight = true;
  t.stages = {kAttn0,  kAttn1, kDispatchSend, kDispatch, kDispatchRecv,
              kShared, kMlp,   kCombineSend,  kCombine,  kCombineRecv};
  // One micro-batch: ATTN-0 -> ATTN-1 -> DISPATCH-SEND -> (DISPATCH in flight) -> DISPATCH-RECV -> MLP ->
  // COMBINE-SEND -> (COMBINE in flight) -> COMBINE-RECV -> next ATTN-0; SHARED reads ATTN-1's output and is summed
  // in before the next layer. The low-latency kernels run on the compute stream; between send and receive the data
  // is on the network and holds nothing (shared/reference/deepseek-profile.md).
  t.dependencies = {{kAttn0, kAttn1, 0},           {kAttn1, kDispatchSend, 0},  {kDispatchSend, kDispatch, 0},
                    {kDispatch, kDispatchRecv, 0}, {kDispatchRecv, kMlp, 0},    {kMlp, kCombineSend, 0},
                    {kCombineSend, kCombine, 0},   {kCombine, kCombineRecv, 0}, {kCombineRecv, kAttn0, 1},
                    {kAttn1, kShared, 0},          {kShared, kAttn0, 1}};
  // DeepSeek's decode schematic reads the compute stream SHARED, ATTN-0, MLP, ATTN-1 with the micro-batches
  // alternating: SHARED and MLP of one, ATTN-0 and ATTN-1 of the other, then the roles swap (B two stages behind A,
  // SGLang's tbo_delta_stages = 2). With the send and receive kernels where the profile has them, one cycle from A's
  // SHARED of layer c is two symmetric half-cycles:
  //   A SHARED, B COMBINE-RECV(c-1), B ATTN-0, A DISPATCH-RECV, A MLP, A COMBINE-SEND, B ATTN-1, B DISPATCH-SEND
  //   B SHARED, A COMBINE-RECV,      A ATTN-0(c+1), B DISPATCH-RECV, B MLP, B COMBINE-SEND, A ATTN-1(c+1),
  //   A DISPATCH-SEND(c+1)
  // so A's dispatch flies under A's SHARED and B's ATTN-0 (the profile's ~105 us of other work), and A's combine
  // under B's ATTN-1, B's send and B's SHARED (the profile's ~352 us).
  t.compute_cycle = {{kA, kShared, 0}, {kB, kCombineRecv, -1}, {kB, kAttn0, 0}, {kA, kDispatchRecv, 0},
                     {kA, kMlp, 0},    {kA, kCombineSend, 0},  {kB, kAttn1, 0}, {kB, kDispatchSend, 0},
                     {kB, kShared, 0}, {kA, kCombineRecv, 0},  {kA, kAttn0, 1}, {kB, kDispatchRecv, 0},
                     {kB, kMlp, 0},    {kB, kCombineSend, 0},  {kA, kAttn1, 1}, {kA, kDispatchSend, 1}};
  return t;
}

PipelineTemplate make_prefill_serial() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kPrefillSerial;
  t.name = "prefill without overlap";
  t.micro_batches = 1;
  t.stages = {kAttn, kShared, kNotify, kDispatch, kMlp, kCombine};
  t.dependencies = {{kAttn, kShared, 0},  {kShared, kNotify, 0}, {kNotify, kDispatch, 0},
                    {kDispatch, kMlp, 0}, {kMlp, kCombine, 0},   {kCombine, kAttn, 1}};
  t.compute_cycle = {{0, kAttn, 0}, {0, kShared, 0}, {0, kNotify, 0}, {0, kMlp, 0}};
  t.comm_cycle = {{0, kDispatch, 0}, {0, kCombine, 0}};
  return t;
}

PipelineTemplate make_decode_serial() {
  using enum Stage;
  PipelineTemplate t;
  t.kind = TemplateKind::kDecodeSerial;
  t.name = "decode without overlap";
  t.micro_batches = 1;
  t.transfers_in_flight = true;
  t.stages = {kAttn0,        kAttn1, kShared,      kDispatchSend, kDispatch,
              kDispatchRecv, kMlp,   kCombineSend, kCombine,      kCombineRecv};
  // Everything one after another: the stream waits out each flight.
  t.dependencies = {{kAttn0, kAttn1, 0},           {kAttn1, kShared, 0},          {kShared, kDispatchSend, 0},
                    {kDispatchSend, kDispatch, 0}, {kDispatch, kDispatchRecv, 0}, {kDispatchRecv, kMlp, 0},
                    {kMlp, kCombineSend, 0},       {kCombineSend, kCombine, 0},   {kCombine, kCombineRecv, 0},
                    {kCombineRecv, kAttn0, 1}};
  t.compute_cycle = {{0, kAttn0, 0},        {0, kAttn1, 0}, {0, kShared, 0},      {0, kDispatchSend, 0},
                     {0, kDispatchRecv, 0}, {0, kMlp, 0},   {0, kCombineSend, 0}, {0, kCombineRecv, 0}};
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
