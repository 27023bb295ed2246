// DeepSeek's expert-parallel load balancer (github.com/deepseek-ai/EPLB, described in shared/reference/eplb.md),
// written anew, and the `none` placement it is compared with.
//
// Ties, as in the published code: every "heaviest first" order is a stable sort by descending load, so equal loads
// keep the lower index first; every "the lightest pack" and "the heaviest weight / logcnt" choice takes the lowest
// index among equals. Indices are those of the array the step works on: logical expert ids for `global`; for
// `hierarchical` the group id when packing groups, and inside a node the node-local order (the node's groups in the
// order they were packed onto it, each group's experts in id order, then the redundant slots in the order added).
// Loads are doubles (the published code uses float32, so a tie there may be a near-tie here).
//
//   moesim::policy::HierarchicalEplb eplb;
//   auto placement = eplb.place({{90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86}}, {16, 4, 2, 8});
#pragma once

#include <span>
#include <vector>

#include "sim/policy/expert_balancer.h"

namespace moesim::policy {

/// One slot per logical expert, experts in id order spread contiguously and evenly over the GPUs (GPU g holds experts
/// [g E / G, (g + 1) E / G)), the remaining slots empty. No redundancy: what a unit does without the EPLB.
class NoneBalancer : public ExpertBalancer {
 public:
  std::string_view name() const override { return "none"; }
  cost::ExpertPlacement place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const override;
};

/// Groups packed onto nodes, replication and GPU packing inside each node (needs num_groups % num_nodes == 0).
class HierarchicalEplb : public ExpertBalancer {
 public:
  std::string_view name() const override { return "hierarchical"; }
  cost::ExpertPlacement place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const override;
};

/// The hierarchical procedure with one group and one node: replication over all experts, packing over all GPUs.
class GlobalEplb : public ExpertBalancer {
 public:
  std::string_view name() const override { return "global"; }
  cost::ExpertPlacement place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const override;
};

/// Hierarchical when the groups divide evenly among the nodes, else global (the published rebalance_experts).
class AutoEplb : public ExpertBalancer {
 public:
  std::string_view name() const override { return "auto"; }
  cost::ExpertPlacement place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const override;
  /// "hierarchical" or "global": what auto does for this shape.
  static std::string_view resolve(const EplbShape& shape);
};

/// The building blocks, exposed for tests.
namespace eplb {

/// Packs items onto `packs` packs of equal item count, heaviest first, each onto the lightest pack with room.
/// Returns per item (pack, rank in pack). With one item per pack, item i goes to pack i (as published).
struct Packing {
  std::vector<int> pack;
  std::vector<int> rank;
};
Packing balanced_packing(std::span<const double> weight, int packs);

/// Replicates experts into `slots` slots: one each, then one more to the expert of largest weight / logcnt, until
/// full. phy2log[s] and rank[s] (which replica of its expert slot s is); logcnt per expert.
struct Replication {
  std::vector<int> phy2log;
  std::vector<int> rank;
  std::vector<int> logcnt;
};
Replication replicate_experts(std::span<const double> weight, int slots);

/// One layer, hierarchical with the given sizes (global = groups 1, nodes 1). Returns phy2log.
std::vector<int> rebalance_layer(std::span<const double> weight, int num_replicas, int num_groups, int num_nodes,
                                 int num_gpus);

}  // namespace eplb
}  // namespace moesim::policy
