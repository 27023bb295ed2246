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
  }
  return "?";
}

std::string_view resource_name(Resource resource) {
  return resource == Resource::kCompute ? "compute" : "communication";
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
  }
  return attn;  // unreachable: every enumerator is handled above
}

double StageDurations::compute_sum() const { return attn + attn0 + attn1 + shared + mlp; }

double StageDurations::comm_sum() const { return dispatch + combine; }

StageDurations stage_durations(const StageOperators& operators) {
  StageDurations sums;
  for (int s = 0; s < kNumStages; ++s) {
    for (const OperatorTime& op : operators[s]) sums[static_cast<Stage>(s)] += op.seconds;
  }
  return sums;
}

}  // namespace moesim::pipeline
