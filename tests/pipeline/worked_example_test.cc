// The worked examples of docs/models/pipeline.md section 5, so that the page stays true.
#include <array>
#include <catch2/catch.hpp>

#include "models/pipeline/scheduler.h"
#include "tests/pipeline/decode_slot.h"

using namespace moesim::pipeline;

namespace {

constexpr double kMs = 1e-3;

const ScheduledOp& find(const Schedule& s, int mb, int layer, Stage stage) {
  for (const ScheduledOp& op : s.ops) {
    if (op.micro_batch == mb && op.layer == layer && op.stage == stage) return op;
  }
  FAIL("operator not scheduled");
  return s.ops.front();
}

}  // namespace

TEST_CASE("pipeline: the worked examples of docs/models/pipeline.md come out as written") {
  StageDurations p{
      .attn = 3.0 * kMs, .shared = 0.5 * kMs, .dispatch = 2.0 * kMs, .mlp = 3.0 * kMs, .combine = 2.5 * kMs};
  Schedule s = schedule_layers(TemplateKind::kPrefillDualBatch, std::array{p, p});
  const double table[][3] = {// micro-batch, layer, start ms (the stage is the row's)
                             {0, 3, 38.5}, {1, 2, 41.5}, {1, 3, 42.0}, {0, 3, 45.0}, {1, 3, 48.0},
                             {0, 3, 51.0}, {0, 3, 41.5}, {1, 3, 45.0}, {0, 3, 48.0}, {1, 3, 51.0}};
  const Stage stages[] = {Stage::kAttn,   Stage::kShared,   Stage::kAttn,     Stage::kMlp,     Stage::kMlp,
                          Stage::kShared, Stage::kDispatch, Stage::kDispatch, Stage::kCombine, Stage::kCombine};
  for (int row = 0; row < 10; ++row) {
    const ScheduledOp& op = find(s, static_cast<int>(table[row][0]), static_cast<int>(table[row][1]), stages[row]);
    CHECK(op.start_s == Approx(table[row][2] * kMs));
  }
  const double ends_ms[] = {16, 29, 42, 55, 68, 81, 94};
  for (int layer = 0; layer < 7; ++layer) CHECK(s.layer_end_s[layer] == Approx(ends_ms[layer] * kMs));
  CHECK(s.layer_period_s == Approx(13.0 * kMs));
  CHECK(layer_period_seconds(TemplateKind::kPrefillDualBatch, std::array{p, p},
                             {.compute_time_factor = sm_share_time_factor(132, 24)}) == Approx(15.8889 * kMs));
  StageDurations heavy = p;
  heavy.dispatch = 3.0 * kMs;
  heavy.combine = 4.5 * kMs;
  CHECK(layer_period_seconds(TemplateKind::kPrefillDualBatch, std::array{heavy, heavy}) == Approx(15.0 * kMs));
  StageDurations whole{.attn = 6 * kMs, .shared = 1 * kMs, .dispatch = 4 * kMs, .mlp = 6 * kMs, .combine = 5 * kMs};
  CHECK(layer_period_seconds(TemplateKind::kPrefillSerial, std::array{whole}) == Approx(22.0 * kMs));

  StageDurations d = testing::decode_slot(160, 330);
  CHECK(d.compute_sum() == Approx(0.693 * kMs));
  CHECK(layer_period_seconds(TemplateKind::kDecodeFiveStage, std::array{d, d}) == Approx(1.386 * kMs));
  StageDurations late = d;
  late.dispatch = 0.20 * kMs;
  CHECK(layer_period_seconds(TemplateKind::kDecodeFiveStage, std::array{late, late}) == Approx(1.424 * kMs));
  StageDurations d_whole = d;
  for (int s = 0; s < kNumStages; ++s) d_whole[static_cast<Stage>(s)] *= 2;
  CHECK(layer_period_seconds(TemplateKind::kDecodeSerial, std::array{d_whole}) == Approx(2.366 * kMs));
}
