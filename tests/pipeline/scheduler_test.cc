// The list scheduler: dependencies and resource exclusivity hold for any durations, the steady-state period is right
// at the limits (free communication, free computation, no overlap), and it is the exact steady state.
#include "models/pipeline/scheduler.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <random>
#include <stdexcept>
#include <vector>

#include "tests/pipeline/random_durations.h"

using namespace moesim::pipeline;
using moesim::pipeline::testing::first_micro_batches;
using moesim::pipeline::testing::max_cycle_ratio_period;
using moesim::pipeline::testing::random_durations;

namespace {

constexpr int kSeeds = 200;

double sum_over(std::span<const StageDurations> mbs, double (StageDurations::*sum)() const) {
  double total = 0;
  for (const StageDurations& d : mbs) total += (d.*sum)();
  return total;
}

// The compute stream's time with compute kernels stretched by `factor` (the host's notify wait is not a kernel).
double stretched_compute(std::span<const StageDurations> mbs, double factor) {
  double total = 0;
  for (const StageDurations& d : mbs) total += factor * (d.compute_sum() - d.notify) + d.notify;
  return total;
}

}  // namespace

TEST_CASE("pipeline: no operator starts before its dependencies end or while its resource is busy") {
  std::mt19937_64 rng(20250301);
  for (TemplateKind kind : kAllTemplateKinds) {
    PipelineScheduler scheduler(kind, 6);
    const PipelineTemplate& t = scheduler.pipeline();
    const LayerGraph& g = scheduler.graph();
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto durations = random_durations(t, rng);
      if (seed % 3 == 0) durations[0].dispatch = 0;  // zero-length operators must not break ordering either
      Schedule s = scheduler.schedule(first_micro_batches(durations, t), {.compute_time_factor = 1.25});
      REQUIRE(s.ops.size() == boost::num_vertices(g));
      for (auto e : boost::make_iterator_range(boost::edges(g))) {
        const ScheduledOp& from = s.ops[boost::source(e, g)];
        const ScheduledOp& to = s.ops[boost::target(e, g)];
        REQUIRE(to.start_s >= from.end_s);
      }
      for (std::size_t v = 0; v < s.ops.size(); ++v) {
        const ScheduledOp& op = s.ops[v];
        double expected =
            durations[op.micro_batch][op.stage] * (stretched_by_sm_share(op.resource, op.stage) ? 1.25 : 1.0);
        REQUIRE(op.end_s - op.start_s == Approx(expected).margin(1e-15));
        REQUIRE(op.resource == t.resource_of(op.stage));
      }
      // Independently of the edges: operators on one stream never overlap in time (transfers in flight may).
      for (Resource r : {Resource::kCompute, Resource::kComm}) {
        std::vector<ScheduledOp> on;
        for (const ScheduledOp& op : s.ops) {
          if (op.resource == r) on.push_back(op);
        }
        std::sort(on.begin(), on.end(), [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
        for (std::size_t i = 1; i < on.size(); ++i) REQUIRE(on[i].start_s >= on[i - 1].end_s - 1e-15);
      }
    }
  }
}

TEST_CASE("pipeline: with communication free, the overlapped period equals the compute sum of both micro-batches") {
  std::mt19937_64 rng(7);
  for (TemplateKind kind : {TemplateKind::kPrefillDualBatch, TemplateKind::kDecodeFiveStage}) {
    const PipelineTemplate& t = pipeline_template(kind);
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto d = random_durations(t, rng);
      for (auto& mb : d) mb.dispatch = mb.combine = 0;
      auto mbs = first_micro_batches(d, t);
      double factor = seed % 2 == 0 ? 1.0 : sm_share_time_factor(132, 24);
      double expected = stretched_compute(mbs, factor);
      REQUIRE(layer_period_seconds(kind, mbs, {.compute_time_factor = factor}) == Approx(expected).epsilon(1e-12));
    }
  }
}

TEST_CASE(
    "pipeline: with computation free, the period is the transfers of both micro-batches on the communication SMs, "
    "and in flight at least one micro-batch's own transfers but less than both micro-batches'") {
  std::mt19937_64 rng(8);
  for (TemplateKind kind : {TemplateKind::kPrefillDualBatch, TemplateKind::kDecodeFiveStage}) {
    const PipelineTemplate& t = pipeline_template(kind);
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto d = random_durations(t, rng);
      for (auto& mb : d) {
        for (int s = 0; s < kNumStages; ++s) {
          if (!is_transfer(static_cast<Stage>(s))) mb[static_cast<Stage>(s)] = 0;
        }
      }
      if (t.transfers_in_flight) {
        // Flights hold nothing, so the two micro-batches' transfers overlap (the zero-length kernels on the
        // compute stream still order them).
        auto mbs = first_micro_batches(d, t);
        double period = layer_period_seconds(kind, mbs);
        REQUIRE(period >= std::max(d[0].comm_sum(), d[1].comm_sum()) * (1 - 1e-12));
        REQUIRE(period < sum_over(mbs, &StageDurations::comm_sum));
      } else {
        auto mbs = first_micro_batches(d, t);
        REQUIRE(layer_period_seconds(kind, mbs) == Approx(sum_over(mbs, &StageDurations::comm_sum)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("pipeline: without overlap the period is the sum of every stage") {
  std::mt19937_64 rng(9);
  for (TemplateKind kind : {TemplateKind::kPrefillSerial, TemplateKind::kDecodeSerial}) {
    const PipelineTemplate& t = pipeline_template(kind);
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto d = random_durations(t, rng);
      auto mbs = first_micro_batches(d, t);
      REQUIRE(layer_period_seconds(kind, mbs, {.compute_time_factor = 1.1}) ==
              Approx(stretched_compute(mbs, 1.1) + d[0].comm_sum()).epsilon(1e-12));
    }
  }
}

TEST_CASE(
    "pipeline: the overlapped period lies between the busier stream's sum (and one micro-batch's flights) and the sum "
    "of everything") {
  std::mt19937_64 rng(10);
  for (TemplateKind kind : {TemplateKind::kPrefillDualBatch, TemplateKind::kDecodeFiveStage}) {
    const PipelineTemplate& t = pipeline_template(kind);
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto d = random_durations(t, rng);
      auto mbs = first_micro_batches(d, t);
      double compute = sum_over(mbs, &StageDurations::compute_sum);
      double comm = sum_over(mbs, &StageDurations::comm_sum);
      double period = layer_period_seconds(kind, mbs);
      double lower = t.transfers_in_flight ? std::max(mbs[0].comm_sum(), mbs[1].comm_sum()) : comm;
      REQUIRE(period >= std::max(compute, lower) * (1 - 1e-12));
      REQUIRE(period <= (compute + comm) * (1 + 1e-12));
    }
  }
}

TEST_CASE("pipeline: the period from 8 layers is the exact steady state (32 layers, maximum cycle ratio)") {
  std::mt19937_64 rng(11);
  for (TemplateKind kind : kAllTemplateKinds) {
    PipelineScheduler eight(kind, 8);
    PipelineScheduler thirty_two(kind, 32);
    const PipelineTemplate& t = eight.pipeline();
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto d = random_durations(t, rng);
      auto mbs = first_micro_batches(d, t);
      double period = eight.layer_period_seconds(mbs, {.compute_time_factor = 1.2});
      REQUIRE(period == Approx(thirty_two.layer_period_seconds(mbs, {.compute_time_factor = 1.2})).epsilon(1e-12));
      REQUIRE(period == Approx(max_cycle_ratio_period(t, mbs, 1.2)).epsilon(1e-9));
      REQUIRE(period == eight.schedule(mbs, {.compute_time_factor = 1.2}).layer_period_s);
    }
  }
}

TEST_CASE("pipeline: the period scales with the durations and never falls when one stage grows") {
  std::mt19937_64 rng(12);
  for (TemplateKind kind : kAllTemplateKinds) {
    const PipelineTemplate& t = pipeline_template(kind);
    for (int seed = 0; seed < 50; ++seed) {
      auto d = random_durations(t, rng);
      double period = layer_period_seconds(kind, first_micro_batches(d, t));
      auto doubled = d;
      for (auto& mb : doubled) {
        for (int s = 0; s < kNumStages; ++s) mb[static_cast<Stage>(s)] *= 2;
      }
      REQUIRE(layer_period_seconds(kind, first_micro_batches(doubled, t)) == Approx(2 * period).epsilon(1e-12));
      for (int mb = 0; mb < t.micro_batches; ++mb) {
        for (Stage s : t.stages) {
          auto longer = d;
          longer[mb][s] += 1e-4;
          REQUIRE(layer_period_seconds(kind, first_micro_batches(longer, t)) >= period * (1 - 1e-12));
        }
      }
    }
  }
}

TEST_CASE("pipeline: bad durations are rejected with a message naming the stage") {
  StageDurations mb{.attn = 1e-3, .shared = 1e-4, .dispatch = 5e-4, .mlp = 1e-3, .combine = 6e-4};
  std::array two{mb, mb};
  REQUIRE_THROWS_AS(layer_period_seconds(TemplateKind::kPrefillDualBatch, std::span(two).first(1)),
                    std::invalid_argument);
  auto negative = two;
  negative[1].mlp = -1;
  REQUIRE_THROWS_WITH(layer_period_seconds(TemplateKind::kPrefillDualBatch, negative),
                      Catch::Contains("MB1 MLP duration must be a finite number >= 0"));
  // Prefill durations (ATTN) handed to the decode template would silently lose the attention time.
  REQUIRE_THROWS_WITH(layer_period_seconds(TemplateKind::kDecodeFiveStage, two),
                      Catch::Contains("a stage this template does not run"));
  REQUIRE_THROWS_AS(layer_period_seconds(TemplateKind::kPrefillDualBatch, two, {.compute_time_factor = 0}),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(PipelineScheduler(TemplateKind::kPrefillDualBatch, 3), std::invalid_argument);
}

TEST_CASE("pipeline: a template whose order contradicts its dependencies is refused, not deadlocked") {
  PipelineTemplate t = pipeline_template(TemplateKind::kPrefillSerial);
  std::swap(t.compute_cycle[0], t.compute_cycle[2]);  // MLP before ATTN, but MLP waits for DISPATCH after ATTN
  REQUIRE_THROWS_AS(PipelineScheduler(t, 4), std::logic_error);
  PipelineTemplate missing = pipeline_template(TemplateKind::kDecodeFiveStage);
  missing.compute_cycle.pop_back();
  REQUIRE_THROWS_WITH(PipelineScheduler(missing, 4), Catch::Contains("MB0 DISPATCH-SEND must appear once"));
  PipelineTemplate queued = pipeline_template(TemplateKind::kDecodeFiveStage);
  queued.comm_cycle.push_back({0, Stage::kDispatch, 0});  // a flight has no stream to queue on
  REQUIRE_THROWS_WITH(PipelineScheduler(queued, 4), Catch::Contains("does not belong on the communication order"));
}

TEST_CASE("pipeline: the operator graph has one node per stage, micro-batch and layer, with durations assigned") {
  PipelineScheduler scheduler(TemplateKind::kDecodeFiveStage, 4);
  LayerGraph g = scheduler.graph();
  REQUIRE(boost::num_vertices(g) == 4 * 2 * 10);
  StageDurations a{.attn0 = 1,
                   .attn1 = 2,
                   .shared = 3,
                   .dispatch = 4,
                   .mlp = 5,
                   .combine = 6,
                   .dispatch_send = 7,
                   .dispatch_recv = 8,
                   .combine_send = 9,
                   .combine_recv = 10};
  StageDurations b = a;
  b.mlp = 50;
  assign_durations(g, std::array{a, b}, 2.0);
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    const OpNode& op = g[v];
    CHECK(op.name == op_name(op.micro_batch, op.layer, op.stage));
    double given = (op.micro_batch == 0 ? a : b)[op.stage];
    CHECK(op.duration_s == (op.resource == Resource::kCompute ? 2 * given : given));
    CHECK(op.resource == (is_transfer(op.stage) ? Resource::kInFlight : Resource::kCompute));
  }
  CHECK(g[0].name == "MB0 L0 ATTN-0");
  REQUIRE_THROWS_AS(assign_durations(g, std::array{a}, 1.0), std::invalid_argument);
}
