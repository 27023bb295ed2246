// What the expert balancer and the step-load model cost the fleet: placing 58 layers at DeepSeek sizes, building an
// ExpertLoadModel, its first query (fills two grid points of the layer mean), a cached query, and one exact draw of
// a decode step for comparison; one layer's factor by the fast rule and by the adaptive reference. Figures in
// docs/performance.md and docs/models/expert-load.md.
#include <benchmark/benchmark.h>

#include "common/paths.h"
#include "models/cost/expert_load.h"
#include "models/llm/geometry.h"
#include "sim/policy/eplb.h"

namespace {

using moesim::cost::ExpertLoadModel;
using moesim::policy::EplbShape;

const moesim::llm::ModelSpec& v3() {
  static const auto m = moesim::llm::load_model("deepseek-v3");
  return m;
}

moesim::cost::RoutingShape v3_routing() { return moesim::cost::routing_shape(v3()); }

// DeepSeek's units on H800 nodes with 32 redundant experts: prefill 4 nodes (EP32), decode 18 nodes (EP144).
EplbShape unit_shape(int nodes) {
  auto g = moesim::llm::unit_geometry(moesim::hardware::load_node_spec("h800"), v3(), nodes, 32);
  return {.num_replicas = g.expert_slots, .num_groups = g.expert_groups, .num_nodes = nodes, .num_gpus = g.gpus};
}

const EplbShape kPrefill = unit_shape(4);
const EplbShape kDecode = unit_shape(18);

const std::vector<std::vector<double>>& shares() {
  static const auto s = [] {
    moesim::cost::ExpertPopularity pop(moesim::cost::parse_skew_spec("calibrated"), v3_routing(), 5);
    return pop.initial_shares();
  }();
  return s;
}

const EplbShape& shape_of(const benchmark::State& state) { return state.range(0) == 32 ? kPrefill : kDecode; }

void BM_EplbPlace(benchmark::State& state) {
  moesim::policy::AutoEplb eplb;
  for (auto _ : state) benchmark::DoNotOptimize(eplb.place(shares(), shape_of(state)));
}
BENCHMARK(BM_EplbPlace)->Arg(32)->Arg(144)->Unit(benchmark::kMillisecond);

void BM_LoadModelBuildAndFirstQuery(benchmark::State& state) {
  auto placement = moesim::policy::AutoEplb().place(shares(), shape_of(state));
  double tokens = state.range(0) == 32 ? 524288 : 18432;
  for (auto _ : state) {
    ExpertLoadModel model(placement, shares(), 0.0, v3_routing());
    benchmark::DoNotOptimize(model.max_gpu_factor(tokens));
  }
}
BENCHMARK(BM_LoadModelBuildAndFirstQuery)->Arg(32)->Arg(144)->Unit(benchmark::kMillisecond);

// One layer's busiest-GPU factor at a new token count, by the fixed rule (production) and by the adaptive reference.
void BM_LayerFactor(benchmark::State& state) {
  auto placement = moesim::policy::AutoEplb().place(shares(), shape_of(state));
  ExpertLoadModel model(placement, shares(), 0.0, v3_routing());
  double tokens = state.range(0) == 32 ? 524288 : 18432;
  int layer = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(state.range(1) ? model.evaluate_layer_factor_adaptive(layer, tokens)
                                            : model.evaluate_layer_factor(layer, tokens));
    layer = (layer + 1) % model.num_layers();
  }
}
BENCHMARK(BM_LayerFactor)
    ->ArgsProduct({{32, 144}, {0, 1}})
    ->ArgNames({"gpus", "adaptive"})
    ->Unit(benchmark::kMicrosecond);

void BM_LoadModelCachedQuery(benchmark::State& state) {
  auto placement = moesim::policy::AutoEplb().place(shares(), kDecode);
  ExpertLoadModel model(placement, shares(), 0.0, v3_routing());
  double tokens = 18000;
  model.max_gpu_factor(tokens);
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.max_gpu_factor(tokens));
    tokens = tokens == 18000 ? 18100 : 18000;
  }
}
BENCHMARK(BM_LoadModelCachedQuery);

void BM_ExactDecodeStepOneLayer(benchmark::State& state) {
  auto placement = moesim::policy::AutoEplb().place(shares(), kDecode);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        moesim::cost::sample_max_gpu_factor(placement, 0, shares()[0], 0.0, v3_routing(), 18432, 1, 1));
  }
}
BENCHMARK(BM_ExactDecodeStepOneLayer)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
