// How long the overlap scheduler takes: the steady-state period for given stage durations (what the fleet calls per
// step), the full schedule with every operator, and building a scheduler (graph + topological order).
//   build/tools/bench/bench_pipeline
#include <benchmark/benchmark.h>

#include <array>

#include "models/pipeline/scheduler.h"

namespace {

using namespace moesim::pipeline;

constexpr double kMs = 1e-3;

std::array<StageDurations, 2> durations(TemplateKind kind) {
  if (kind == TemplateKind::kDecodeFiveStage || kind == TemplateKind::kDecodeSerial) {
    StageDurations mb{.attn0 = 0.15 * kMs,
                      .attn1 = 0.35 * kMs,
                      .shared = 0.1 * kMs,
                      .dispatch = 0.19 * kMs,
                      .mlp = 0.4 * kMs,
                      .combine = 0.37 * kMs};
    return {mb, mb};
  }
  StageDurations mb{.attn = 3 * kMs, .shared = 0.5 * kMs, .dispatch = 2 * kMs, .mlp = 3 * kMs, .combine = 2.5 * kMs};
  return {mb, mb};
}

void BM_layer_period(benchmark::State& state) {
  auto kind = static_cast<TemplateKind>(state.range(0));
  auto d = durations(kind);
  std::span<const StageDurations> mbs(d.data(), pipeline_template(kind).micro_batches);
  for (auto _ : state) {
    d[0].mlp += 1e-12;  // defeat any caching between iterations
    benchmark::DoNotOptimize(layer_period_seconds(kind, mbs));
  }
  state.SetLabel(std::string(pipeline_template(kind).name));
}
BENCHMARK(BM_layer_period)->DenseRange(0, 3);

void BM_full_schedule(benchmark::State& state) {
  auto kind = static_cast<TemplateKind>(state.range(0));
  PipelineScheduler scheduler(kind);
  auto d = durations(kind);
  std::span<const StageDurations> mbs(d.data(), pipeline_template(kind).micro_batches);
  for (auto _ : state) benchmark::DoNotOptimize(scheduler.schedule(mbs));
  state.SetLabel(std::string(pipeline_template(kind).name));
}
BENCHMARK(BM_full_schedule)->DenseRange(0, 1);

void BM_build_scheduler(benchmark::State& state) {
  auto kind = static_cast<TemplateKind>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(PipelineScheduler(kind));
  state.SetLabel(std::string(pipeline_template(kind).name));
}
BENCHMARK(BM_build_scheduler)->DenseRange(0, 1);

}  // namespace

BENCHMARK_MAIN();
