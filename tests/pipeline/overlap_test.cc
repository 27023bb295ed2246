// The overlapped schedules do what the templates promise: one micro-batch's communication runs under the other's
// computation (prefill dual-batch overlap and decode 5-stage pipeline), checked on operator intervals.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "models/pipeline/scheduler.h"

using namespace moesim::pipeline;

namespace {

constexpr double kMs = 1e-3;

// Seconds of [op.start, op.end) covered by the compute operators of micro-batch `mb` (compute never overlaps itself).
double covered_by_compute_of(const Schedule& s, const ScheduledOp& op, int mb) {
  double covered = 0;
  for (const ScheduledOp& c : s.ops) {
    if (c.resource != Resource::kCompute || c.micro_batch != mb) continue;
    covered += std::max(0.0, std::min(op.end_s, c.end_s) - std::max(op.start_s, c.start_s));
  }
  return covered;
}

const ScheduledOp& find(const Schedule& s, int mb, int layer, Stage stage) {
  auto it = std::find_if(s.ops.begin(), s.ops.end(), [&](const ScheduledOp& op) {
    return op.micro_batch == mb && op.layer == layer && op.stage == stage;
  });
  REQUIRE(it != s.ops.end());
  return *it;
}

bool inside(const ScheduledOp& inner, const ScheduledOp& outer) {
  return inner.start_s >= outer.start_s && inner.end_s <= outer.end_s;
}

}  // namespace

TEST_CASE(
    "pipeline: in the prefill dual-batch schedule each micro-batch's communication runs under the other's "
    "computation") {
  // Shaped like a DeepSeek prefill micro-batch, each transfer shorter than the computation meant to hide it.
  StageDurations mb{
      .attn = 3.0 * kMs, .shared = 0.5 * kMs, .dispatch = 2.0 * kMs, .mlp = 3.0 * kMs, .combine = 2.5 * kMs};
  Schedule s = schedule_layers(TemplateKind::kPrefillDualBatch, std::array{mb, mb});
  for (int layer = 2; layer <= 5; ++layer) {
    // The transfers in the order of the profile-data README schematic: A's DISPATCH leaves when A's ATTN ends and
    // lands inside B's ATTN; B's DISPATCH inside A's MLP; A's COMBINE starts with B's MLP; B's COMBINE runs under A's
    // SHARED and A's next ATTN.
    const ScheduledOp& dispatch_a = find(s, 0, layer, Stage::kDispatch);
    CHECK(dispatch_a.start_s == find(s, 0, layer, Stage::kAttn).end_s);
    CHECK(dispatch_a.end_s <= find(s, 1, layer, Stage::kAttn).end_s);
    CHECK(inside(find(s, 1, layer, Stage::kDispatch), find(s, 0, layer, Stage::kMlp)));
    CHECK(find(s, 0, layer, Stage::kCombine).start_s == find(s, 1, layer, Stage::kMlp).start_s);
    const ScheduledOp& combine_b = find(s, 1, layer, Stage::kCombine);
    CHECK(combine_b.start_s == find(s, 0, layer, Stage::kShared).start_s);
    CHECK(combine_b.end_s <= find(s, 0, layer + 1, Stage::kAttn).end_s);
    // Every transfer of either micro-batch runs entirely while the other micro-batch computes.
    for (int a = 0; a < 2; ++a) {
      for (Stage st : {Stage::kDispatch, Stage::kCombine}) {
        const ScheduledOp& op = find(s, a, layer, st);
        CHECK(covered_by_compute_of(s, op, 1 - a) == Approx(op.end_s - op.start_s).epsilon(1e-12));
        CHECK(covered_by_compute_of(s, op, a) == 0);
      }
    }
  }
  // All communication is hidden, so a layer takes exactly the computation of both micro-batches.
  CHECK(s.layer_period_s == Approx(2 * mb.compute_sum()).epsilon(1e-12));
}

TEST_CASE(
    "pipeline: in the decode 5-stage schedule the compute stream reads SHARED, ATTN-0, MLP, ATTN-1 and the "
    "transfers are in flight under the other micro-batch") {
  // Shaped like a DeepSeek decode micro-batch (FlashMLA-sized attention, low-latency all-to-all).
  StageDurations mb{.attn0 = 0.15 * kMs,
                    .attn1 = 0.35 * kMs,
                    .shared = 0.1 * kMs,
                    .dispatch = 0.19 * kMs,
                    .mlp = 0.4 * kMs,
                    .combine = 0.3 * kMs};
  Schedule s = schedule_layers(TemplateKind::kDecodeFiveStage, std::array{mb, mb});
  std::vector<ScheduledOp> compute;
  for (const ScheduledOp& op : s.ops) {
    if (op.resource == Resource::kCompute) compute.push_back(op);
  }
  std::sort(compute.begin(), compute.end(), [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
  // After the fill (A's ATTN-0 and ATTN-1 of layer 0), the stream repeats SHARED, ATTN-0, MLP, ATTN-1 with the
  // micro-batch of SHARED and MLP the other one than that of ATTN-0 and ATTN-1.
  const Stage kCycle[] = {Stage::kShared, Stage::kAttn0, Stage::kMlp, Stage::kAttn1};
  for (std::size_t i = 2; i + 8 < compute.size(); ++i) {
    CHECK(compute[i].stage == kCycle[(i - 2) % 4]);
    int shared_mb = compute[i - (i - 2) % 4].micro_batch;
    bool attention = compute[i].stage == Stage::kAttn0 || compute[i].stage == Stage::kAttn1;
    CHECK(compute[i].micro_batch == (attention ? 1 - shared_mb : shared_mb));
  }
  for (int layer = 2; layer <= 5; ++layer) {
    for (int a = 0; a < 2; ++a) {
      for (Stage st : {Stage::kDispatch, Stage::kCombine}) {
        const ScheduledOp& op = find(s, a, layer, st);
        CHECK(covered_by_compute_of(s, op, 1 - a) > 0);
      }
    }
    // A's DISPATCH is in flight across B's ATTN-0; A's COMBINE across B's ATTN-1.
    CHECK(find(s, 0, layer, Stage::kDispatch).end_s > find(s, 1, layer, Stage::kAttn0).start_s);
    CHECK(find(s, 0, layer, Stage::kCombine).end_s > find(s, 1, layer, Stage::kAttn1).start_s);
  }
  CHECK(s.layer_period_s == Approx(2 * mb.compute_sum()).epsilon(1e-12));
}

TEST_CASE("pipeline: without overlap nothing runs at the same time") {
  StageDurations mb{
      .attn = 3.0 * kMs, .shared = 0.5 * kMs, .dispatch = 2.0 * kMs, .mlp = 3.0 * kMs, .combine = 2.5 * kMs};
  Schedule s = schedule_layers(TemplateKind::kPrefillSerial, std::array{mb});
  for (const ScheduledOp& op : s.ops) {
    if (op.resource == Resource::kComm) CHECK(covered_by_compute_of(s, op, 0) == 0);
  }
  CHECK(s.makespan_s == Approx(s.layers * (mb.compute_sum() + mb.comm_sum())).epsilon(1e-12));
}
