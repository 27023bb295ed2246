// The overlapped schedules do what the templates promise: one micro-batch's communication runs under the other's
// computation (prefill dual-batch overlap and decode 5-stage pipeline), checked on operator intervals.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "models/pipeline/scheduler.h"
#include "tests/pipeline/decode_slot.h"

using namespace moesim::pipeline;
using moesim::pipeline::testing::decode_slot;

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
    "computation, after the host's notify wait") {
  // Shaped like a DeepSeek prefill micro-batch, each transfer shorter than the computation meant to hide it.
  StageDurations mb{.attn = 3.0 * kMs,
                    .shared = 0.5 * kMs,
                    .dispatch = 2.0 * kMs,
                    .mlp = 3.0 * kMs,
                    .combine = 2.5 * kMs,
                    .notify = 0.4 * kMs};
  Schedule s = schedule_layers(TemplateKind::kPrefillDualBatch, std::array{mb, mb});
  for (int layer = 2; layer <= 5; ++layer) {
    // The transfers in the order of the profile-data README schematic: A's DISPATCH leaves when A's NOTIFY (after
    // A's ATTN) ends and lands inside B's ATTN; B's DISPATCH inside A's MLP; A's COMBINE starts with B's MLP; B's
    // COMBINE runs under A's SHARED and A's next ATTN.
    const ScheduledOp& notify_a = find(s, 0, layer, Stage::kNotify);
    CHECK(notify_a.start_s == find(s, 0, layer, Stage::kAttn).end_s);
    const ScheduledOp& dispatch_a = find(s, 0, layer, Stage::kDispatch);
    CHECK(dispatch_a.start_s == notify_a.end_s);
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
  // All communication is hidden, so a layer takes the computation of both micro-batches plus both notify waits.
  CHECK(s.layer_period_s == Approx(2 * mb.compute_sum()).epsilon(1e-12));
}

TEST_CASE(
    "pipeline: in the decode 5-stage schedule the compute stream reads SHARED, ATTN-0, MLP, ATTN-1 with the send and "
    "receive kernels on it, and the transfers fly under the other micro-batch") {
  // A's dispatch flies under A's SHARED, B's COMBINE-RECV and B's ATTN-0 (181 us of work), A's combine under B's
  // ATTN-1, B's DISPATCH-SEND and B's SHARED (381 us).
  StageDurations mb = decode_slot(100, 300);
  Schedule s = schedule_layers(TemplateKind::kDecodeFiveStage, std::array{mb, mb});
  std::vector<ScheduledOp> compute;
  for (const ScheduledOp& op : s.ops) {
    if (op.resource == Resource::kCompute) compute.push_back(op);
    CHECK(op.resource != Resource::kComm);  // no communication SMs in decode
  }
  std::sort(compute.begin(), compute.end(), [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
  // The schematic's order, with micro-batch roles: SHARED and MLP of one, ATTN-0 and ATTN-1 of the other.
  std::vector<Stage> big;
  for (const ScheduledOp& op : compute) {
    if (op.stage == Stage::kShared || op.stage == Stage::kAttn0 || op.stage == Stage::kMlp ||
        op.stage == Stage::kAttn1) {
      big.push_back(op.stage);
    }
  }
  const Stage kCycle[] = {Stage::kShared, Stage::kAttn0, Stage::kMlp, Stage::kAttn1};
  std::size_t first = static_cast<std::size_t>(std::find(big.begin(), big.end(), Stage::kShared) - big.begin());
  for (std::size_t i = first; i + 8 < big.size(); ++i) CHECK(big[i] == kCycle[(i - first) % 4]);
  for (int layer = 2; layer <= 5; ++layer) {
    for (int a = 0; a < 2; ++a) {
      // A flight lands before its receive kernel starts (the flights are shorter than the work that hides them),
      // and runs while the other micro-batch computes.
      const ScheduledOp& dispatch = find(s, a, layer, Stage::kDispatch);
      CHECK(dispatch.start_s == find(s, a, layer, Stage::kDispatchSend).end_s);
      CHECK(dispatch.end_s < find(s, a, layer, Stage::kDispatchRecv).start_s);
      CHECK(covered_by_compute_of(s, dispatch, 1 - a) > 0);
      const ScheduledOp& combine = find(s, a, layer, Stage::kCombine);
      CHECK(combine.end_s < find(s, a, layer, Stage::kCombineRecv).start_s);
      CHECK(covered_by_compute_of(s, combine, 1 - a) > 0);
    }
    // A's dispatch is in flight while B's ATTN-0 starts; A's combine while B's ATTN-1 runs.
    const ScheduledOp& dispatch_a = find(s, 0, layer, Stage::kDispatch);
    const ScheduledOp& combine_a = find(s, 0, layer, Stage::kCombine);
    CHECK(dispatch_a.start_s < find(s, 1, layer, Stage::kAttn0).start_s);
    CHECK(dispatch_a.end_s > find(s, 1, layer, Stage::kAttn0).start_s);
    CHECK(combine_a.start_s <= find(s, 1, layer, Stage::kAttn1).start_s);
    CHECK(combine_a.end_s > find(s, 1, layer, Stage::kAttn1).start_s);
  }
  // Everything hidden: a slot is one micro-batch's compute, send and receive kernels included.
  CHECK(s.layer_period_s == Approx(2 * mb.compute_sum()).epsilon(1e-12));
}

TEST_CASE("pipeline: a decode flight longer than the work that hides it makes its receive kernel wait, once per slot") {
  // 181 us of work between A's dispatch send and receive; a 200 us flight leaves 19 us of waiting per slot.
  StageDurations mb = decode_slot(200, 300);
  double period = layer_period_seconds(TemplateKind::kDecodeFiveStage, std::array{mb, mb});
  CHECK(period == Approx(2 * (mb.compute_sum() + 19e-6)).epsilon(1e-9));
  // The critical cycle then runs through both dispatch flights, through ATTN-1 and never through a combine flight.
  auto cycle = PipelineScheduler(TemplateKind::kDecodeFiveStage).critical_cycle(std::array{mb, mb});
  double total = 0;
  int dispatch_flights = 0;
  bool attention = false;
  for (const ScheduledOp& op : cycle) {
    total += op.end_s - op.start_s;
    dispatch_flights += op.stage == Stage::kDispatch ? 1 : 0;
    attention = attention || op.stage == Stage::kAttn1;
    CHECK(op.stage != Stage::kCombine);
  }
  CHECK(total == Approx(period).epsilon(1e-9));
  CHECK(dispatch_flights == 2);
  CHECK(attention);
}

TEST_CASE("pipeline: the critical cycle's operators are chained end to start and add up to the period") {
  for (TemplateKind kind : kAllTemplateKinds) {
    const PipelineTemplate& t = pipeline_template(kind);
    StageDurations mb;
    double d = 1e-4;
    for (Stage st : t.stages) mb[st] = (d += 3e-5);  // distinct durations
    std::array two{mb, mb};
    std::span<const StageDurations> mbs(two.data(), static_cast<std::size_t>(t.micro_batches));
    PipelineScheduler scheduler(kind);
    auto cycle = scheduler.critical_cycle(mbs);
    REQUIRE(!cycle.empty());
    double total = 0;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      total += cycle[i].end_s - cycle[i].start_s;
      if (i > 0) CHECK(cycle[i].start_s == Approx(cycle[i - 1].end_s).epsilon(1e-12));
    }
    CHECK(total == Approx(scheduler.layer_period_seconds(mbs)).epsilon(1e-9));
  }
}

TEST_CASE("pipeline: without overlap nothing runs at the same time") {
  StageDurations mb{.attn = 3.0 * kMs,
                    .shared = 0.5 * kMs,
                    .dispatch = 2.0 * kMs,
                    .mlp = 3.0 * kMs,
                    .combine = 2.5 * kMs,
                    .notify = 0.4 * kMs};
  Schedule s = schedule_layers(TemplateKind::kPrefillSerial, std::array{mb});
  for (const ScheduledOp& op : s.ops) {
    if (op.resource == Resource::kComm) CHECK(covered_by_compute_of(s, op, 0) == 0);
  }
  CHECK(s.makespan_s == Approx(s.layers * (mb.compute_sum() + mb.comm_sum())).epsilon(1e-12));
}
