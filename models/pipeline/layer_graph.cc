#include "models/pipeline/layer_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace moesim::pipeline {
namespace {

// Checks that each stage of each micro-batch appears exactly once per cycle, on its own resource.
void check_template(const PipelineTemplate& t) {
  for (Resource r : {Resource::kCompute, Resource::kComm}) {
    std::vector<int> seen(static_cast<std::size_t>(t.micro_batches) * kNumStages, 0);
    for (const Slot& s : t.cycle(r)) {
      if (s.micro_batch < 0 || s.micro_batch >= t.micro_batches || t.resource_of(s.stage) != r ||
          std::find(t.stages.begin(), t.stages.end(), s.stage) == t.stages.end()) {
        throw std::logic_error(fmt::format("pipeline template '{}': slot MB{} {} does not belong on the {} order",
                                           t.name, s.micro_batch, stage_name(s.stage), resource_name(r)));
      }
      ++seen[static_cast<std::size_t>(s.micro_batch) * kNumStages + static_cast<std::size_t>(s.stage)];
    }
    for (int mb = 0; mb < t.micro_batches; ++mb) {
      for (Stage stage : t.stages) {
        if (t.resource_of(stage) != r) continue;
        if (seen[static_cast<std::size_t>(mb) * kNumStages + static_cast<std::size_t>(stage)] != 1) {
          throw std::logic_error(fmt::format("pipeline template '{}': MB{} {} must appear once in the {} order", t.name,
                                             mb, stage_name(stage), resource_name(r)));
        }
      }
    }
  }
}

}  // namespace

bool stretched_by_sm_share(Resource resource, Stage stage) {
  return resource == Resource::kCompute && stage != Stage::kNotify;
}

std::string op_name(int micro_batch, int layer, Stage stage) {
  return fmt::format("MB{} L{} {}", micro_batch, layer, stage_name(stage));
}

LayerGraph build_layer_graph(const PipelineTemplate& t, int layers) {
  if (layers < 1) throw std::invalid_argument(fmt::format("build_layer_graph: need at least 1 layer, got {}", layers));
  check_template(t);
  LayerGraph g;
  // vertex_of[(layer * micro_batches + mb) * kNumStages + stage], -1 for stages the template does not run.
  std::vector<long> vertex_of(static_cast<std::size_t>(layers) * t.micro_batches * kNumStages, -1);
  auto key = [&](int layer, int mb, Stage stage) {
    return (static_cast<std::size_t>(layer) * t.micro_batches + mb) * kNumStages + static_cast<std::size_t>(stage);
  };
  for (int layer = 0; layer < layers; ++layer) {
    for (int mb = 0; mb < t.micro_batches; ++mb) {
      for (Stage stage : t.stages) {
        auto v = boost::add_vertex(OpNode{op_name(mb, layer, stage), stage, mb, layer, t.resource_of(stage), 0.0}, g);
        vertex_of[key(layer, mb, stage)] = static_cast<long>(v);
      }
    }
  }
  for (int layer = 0; layer < layers; ++layer) {
    for (int mb = 0; mb < t.micro_batches; ++mb) {
      for (const Dependency& d : t.dependencies) {
        if (layer + d.layer_lag >= layers) continue;
        boost::add_edge(vertex_of[key(layer, mb, d.from)], vertex_of[key(layer + d.layer_lag, mb, d.to)],
                        OpEdge{EdgeKind::kDependency}, g);
      }
    }
  }
  // Unroll each resource's cycle over every repetition that touches a layer in [0, layers).
  for (Resource r : {Resource::kCompute, Resource::kComm}) {
    const std::vector<Slot>& cycle = t.cycle(r);
    if (cycle.empty()) continue;
    auto [lo, hi] = std::minmax_element(cycle.begin(), cycle.end(),
                                        [](const Slot& a, const Slot& b) { return a.layer_offset < b.layer_offset; });
    long previous = -1;
    for (int c = -hi->layer_offset; c <= layers - 1 - lo->layer_offset; ++c) {
      for (const Slot& s : cycle) {
        int layer = c + s.layer_offset;
        if (layer < 0 || layer >= layers) continue;
        long v = vertex_of[key(layer, s.micro_batch, s.stage)];
        if (previous >= 0) boost::add_edge(previous, v, OpEdge{EdgeKind::kResourceOrder}, g);
        previous = v;
      }
    }
  }
  return g;
}

void assign_durations(LayerGraph& graph, std::span<const StageDurations> micro_batches, double compute_time_factor) {
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    OpNode& op = graph[v];
    if (op.micro_batch >= static_cast<int>(micro_batches.size())) {
      throw std::invalid_argument(fmt::format("assign_durations: graph has micro-batch {} but {} durations were given",
                                              op.micro_batch, micro_batches.size()));
    }
    double d = micro_batches[op.micro_batch][op.stage];
    op.duration_s = stretched_by_sm_share(op.resource, op.stage) ? d * compute_time_factor : d;
  }
}

}  // namespace moesim::pipeline
