// The expert balancer: where each MoE layer's physical expert replicas live in a unit, from per-expert load estimates.
// Built-ins: none (one slot per expert, in id order), global and hierarchical (DeepSeek's EPLB, eplb.h), auto.
//
//   const auto& registry = moesim::policy::builtin_expert_balancers();
//   auto placement = registry.make("auto")->place(weight, {288, 8, 4, 32});  // replicas, groups, nodes, GPUs
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/cost/expert_load.h"
#include "sim/policy/registry.h"

namespace moesim::policy {

/// The four sizes of shared/reference/eplb.md.
struct EplbShape {
  int num_replicas = 0;  ///< physical expert slots in the unit, a multiple of num_gpus
  int num_groups = 1;    ///< expert groups (DeepSeek-V3: 8 groups of 32)
  int num_nodes = 1;     ///< nodes of the unit; num_gpus is a multiple of it
  int num_gpus = 1;      ///< GPUs of the unit (the EP size)

  int slots_per_gpu() const { return num_replicas / num_gpus; }
  /// Throws InputError (the messages `moesim eplb` prints) unless the sizes can place `num_experts` experts.
  void check(int num_experts) const;
};

/// Places replicas. weight[layer][expert] >= 0 (any scale); every layer is placed independently.
class ExpertBalancer {
 public:
  static constexpr const char* kKind = "expert balancer";
  virtual ~ExpertBalancer() = default;
  virtual std::string_view name() const = 0;
  /// Returns phy2log per layer; every expert gets at least one slot except under `none`'s empty redundant slots.
  virtual cost::ExpertPlacement place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const = 0;
};

/// Balancers by name: add(), make(), names(), description() (registry.h).
using ExpertBalancerRegistry = Registry<ExpertBalancer>;

/// Adds none, auto, global and hierarchical (the central list in builtins.cc).
void register_builtin_expert_balancers(ExpertBalancerRegistry& registry);

/// A registry holding the built-ins, built on first use.
const ExpertBalancerRegistry& builtin_expert_balancers();

/// Per layer: mean GPU load / max GPU load, each replica weighing weight / logcnt (1 when there is no load).
std::vector<double> balancedness(const cost::ExpertPlacement& placement,
                                 const std::vector<std::vector<double>>& weight);

}  // namespace moesim::policy
