// How long the overlap scheduler takes: the steady-state period for given stage durations (what the fleet calls per
// step), the full schedule with every operator, and building a scheduler (graph + topological order); and a whole
// unit's step (UnitStepModel: every operator's cost, then the period), what the fleet pays on a step-cache miss.
//   build/tools/bench/bench_pipeline
#include <benchmark/benchmark.h>

#include <array>

#include "hardware/hardware.h"
#include "models/llm/model.h"
#include "models/pipeline/scheduler.h"
#include "models/pipeline/unit_step.h"

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

// A DeepSeek-V3 unit on the H800 (decode EP144 with MTP; prefill EP32), its loads nudged each call.
void BM_unit_step(benchmark::State& state) {
  static const auto hw = moesim::hardware::load_hardware("h800");
  static const auto model = moesim::llm::load_model("deepseek-v3");
  const bool decode = state.range(0) == 1;
  UnitConfig c;
  c.phase = decode ? moesim::llm::Phase::kDecode : moesim::llm::Phase::kPrefill;
  c.ep = decode ? 144 : 32;
  c.expert_slots = 288;
  c.mtp = decode;
  UnitStepModel unit(hw, model, c);
  double x = 64;
  for (auto _ : state) {
    x = x < 128 ? x + 0.25 : 64;
    if (decode) {
      benchmark::DoNotOptimize(unit.decode_loads(unit.uniform_decode_loads(x, 4096), 1.2).step_s);
    } else {
      std::array<PrefillRank, 1> ranks{{{x * 128, x * 128 * x * 64, 4}}};
      benchmark::DoNotOptimize(unit.prefill(ranks, 1.2).step_s);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(decode ? "decode EP144 (steps/s = items/s)" : "prefill EP32 (steps/s = items/s)");
}
BENCHMARK(BM_unit_step)->DenseRange(0, 1);

}  // namespace

BENCHMARK_MAIN();
