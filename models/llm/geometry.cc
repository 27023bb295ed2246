#include "models/llm/geometry.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"

namespace moesim::llm {

UnitGeometry unit_geometry(const hardware::NodeSpec& node, const ModelSpec& model, int64_t nodes_per_unit,
                           int64_t redundant_experts) {
  if (node.gpus <= 0 || nodes_per_unit <= 0 || redundant_experts < 0) {
    throw InputError(fmt::format("unit geometry: {} GPUs per node, {} nodes, {} redundant experts", node.gpus,
                                 nodes_per_unit, redundant_experts));
  }
  UnitGeometry g;
  g.gpus_per_node = node.gpus;
  g.nodes_per_unit = static_cast<int>(nodes_per_unit);
  g.gpus = g.nodes_per_unit * g.gpus_per_node;
  g.routed_experts = model.moe.routed_experts;
  g.expert_slots = model.moe.routed_experts + static_cast<int>(redundant_experts);
  if (g.expert_slots % g.gpus != 0) {
    throw InputError(fmt::format("{} + {} expert slots do not divide among {} GPUs", model.moe.routed_experts,
                                 redundant_experts, g.gpus));
  }
  g.experts_per_token = model.moe.experts_per_token;
  g.expert_groups = model.moe.expert_groups;
  g.groups_per_token = model.moe.groups_per_token;
  g.moe_layers = model.moe_layers();
  g.kv_bytes_per_token = std::llround(model.kv_bytes_per_token());
  return g;
}

}  // namespace moesim::llm
