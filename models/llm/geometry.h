// UnitGeometry: the shape of one serving unit as the layers above see it: GPUs per node (from the hardware spec),
// the unit's nodes and GPUs (its EP size), the routed experts and the slots they fill, the routing shape (experts per
// token, groups, groups per token) and a token's KV bytes (from the model file). Built once per pool from
// hardware/specs/NAME.json and models/llm/*.json and passed down; nothing above hardware/ and models/llm/ writes
// these numbers by hand (tests/layering checks it).
//
//   auto g = moesim::llm::unit_geometry(moesim::hardware::load_node_spec("h800"), model, /*nodes_per_unit=*/4, 32);
//   int slots_per_gpu = g.expert_slots / g.gpus;  // 9
#pragma once

#include <cstdint>

#include "hardware/hardware.h"
#include "models/llm/model.h"

namespace moesim::llm {

struct UnitGeometry {
  int gpus_per_node = 0;           ///< hardware spec: node.gpus
  int nodes_per_unit = 0;          ///< the pool's unit size
  int gpus = 0;                    ///< EP size: nodes_per_unit x gpus_per_node
  int routed_experts = 0;          ///< model: routed experts per MoE layer
  int expert_slots = 0;            ///< routed_experts + the unit's redundant experts; a multiple of gpus
  int experts_per_token = 0;       ///< model: top-k
  int expert_groups = 0;           ///< model: groups of routed_experts / expert_groups consecutive experts
  int groups_per_token = 0;        ///< model: groups a token may reach (group-limited routing)
  int moe_layers = 0;              ///< model: layers with routed experts
  int64_t kv_bytes_per_token = 0;  ///< model: KV cache bytes of one token over all layers
};

/// The geometry of a unit of `nodes_per_unit` nodes of `node` serving `model` with `redundant_experts` extra slots.
/// An InputError ("256 + 31 expert slots do not divide among 32 GPUs") when the slots do not divide among the GPUs.
UnitGeometry unit_geometry(const hardware::NodeSpec& node, const ModelSpec& model, int64_t nodes_per_unit,
                           int64_t redundant_experts);

}  // namespace moesim::llm
