#include "models/pipeline/stage.h"

namespace moesim::pipeline {

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kAttn:
      return "ATTN";
    case Stage::kAttn0:
      return "ATTN-0";
    case Stage::kAttn1:
      return "ATTN-1";
    case Stage::kShared:
      return "SHARED";
    case Stage::kDispatch:
      return "DISPATCH";
    case Stage::kMlp:
      return "MLP";
    case Stage::kCombine:
      return "COMBINE";
    case Stage::kNotify:
      return "NOTIFY";
    case Stage::kDispatchSend:
      return "DISPATCH-SEND";
    case Stage::kDispatchRecv:
      return "DISPATCH-RECV";
    case Stage::kCombineSend:
      return "COMBINE-SEND";
    case Stage::kCombineRecv:
      return "COMBINE-RECV";
  }
  return "?";
}

std::string_view resource_name(Resource resource) {
  switch (resource) {
    case Resource::kCompute:
      return "compute";
    case Resource::kComm:
      return "communication";
    case Resource::kInFlight:
      return "in flight";
  }
  return "?";
}

double StageDurations::operator[](Stage stage) const { return const_cast<StageDurations&>(*this)[stage]; }

double& StageDurations::operator[](Stage stage) {
  switch (stage) {
    case Stage::kAttn:
      return attn;
    case Stage::kAttn0:
      return attn0;
    case Stage::kAttn1:
      return attn1;
    case Stage::kShared:
      return shared;
    case Stage::kDispatch:
      return dispatch;
    case Stage::kMlp:
      return mlp;
    case Stage::kCombine:
      return combine;
    case Stage::kNotify:
      return notify;
    case Stage::kDispatchSend:
      return dispatch_send;
    case Stage::kDispatchRecv:
      return dispatch_recv;
    case Stage::kCombineSend:
      return combine_send;
    case Stage::kCombineRecv:
      return combine_recv;
  }
  return attn;  // unreachable: every enumerator is handled above
}

double StageDurations::compute_sum() const {
  return attn + attn0 + attn1 + shared + mlp + notify + dispatch_send + dispatch_recv + combine_send + combine_recv;
}

double StageDurations::comm_sum() const { return dispatch + combine; }

StageDurations stage_durations(const StageOperators& operators) {
  StageDurations sums;
  for (int s = 0; s < kNumStages; ++s) {
    for (const OperatorTime& op : operators[s]) sums[static_cast<Stage>(s)] += op.seconds;
  }
  return sums;
}

}  // namespace moesim::pipeline
