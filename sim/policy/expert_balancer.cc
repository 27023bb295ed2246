#include "sim/policy/expert_balancer.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "common/error.h"
#include "sim/policy/eplb.h"

namespace moesim::policy {

void EplbShape::check(int num_experts) const {
  if (num_replicas < 1 || num_groups < 1 || num_nodes < 1 || num_gpus < 1) {
    throw InputError(fmt::format("EPLB sizes must be positive (replicas {}, groups {}, nodes {}, GPUs {})",
                                 num_replicas, num_groups, num_nodes, num_gpus));
  }
  if (num_replicas % num_gpus != 0) {
    throw InputError(fmt::format("replicas ({}) must be a multiple of the GPUs ({})", num_replicas, num_gpus));
  }
  if (num_gpus % num_nodes != 0) {
    throw InputError(fmt::format("GPUs ({}) must be a multiple of the nodes ({})", num_gpus, num_nodes));
  }
  if (num_replicas < num_experts) {
    throw InputError(
        fmt::format("fewer replicas ({}) than experts ({}): every expert needs a slot", num_replicas, num_experts));
  }
  if (num_experts % num_groups != 0) {
    throw InputError(fmt::format("the experts ({}) must split into the groups ({}) evenly", num_experts, num_groups));
  }
}

void ExpertBalancerRegistry::add(std::string name, std::string description, Factory factory) {
  if (entries_.count(name) != 0) throw std::logic_error("expert balancer registered twice: " + name);
  entries_.emplace(std::move(name), Entry{std::move(description), std::move(factory)});
}

std::vector<std::string> ExpertBalancerRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_) out.push_back(name);
  return out;
}

std::unique_ptr<ExpertBalancer> ExpertBalancerRegistry::make(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    throw InputError(fmt::format("unknown expert balancer '{}' (known: {})", name, fmt::join(names(), ", ")));
  }
  return it->second.factory();
}

const std::string& ExpertBalancerRegistry::description(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw std::out_of_range("unknown expert balancer");
  return it->second.description;
}

void register_builtin_expert_balancers(ExpertBalancerRegistry& registry) {
  registry.add("none", "one slot per expert in id order, redundant slots empty (no EPLB)",
               [] { return std::make_unique<NoneBalancer>(); });
  registry.add("global", "DeepSeek EPLB over all experts and GPUs (decode, large EP)",
               [] { return std::make_unique<GlobalEplb>(); });
  registry.add("hierarchical", "DeepSeek EPLB: groups onto nodes, then replicas onto GPUs (prefill)",
               [] { return std::make_unique<HierarchicalEplb>(); });
  registry.add("auto", "hierarchical when the groups divide evenly among the nodes, else global",
               [] { return std::make_unique<AutoEplb>(); });
}

const ExpertBalancerRegistry& builtin_expert_balancers() {
  static const ExpertBalancerRegistry registry = [] {
    ExpertBalancerRegistry r;
    register_builtin_expert_balancers(r);
    return r;
  }();
  return registry;
}

std::vector<double> balancedness(const cost::ExpertPlacement& placement,
                                 const std::vector<std::vector<double>>& weight) {
  std::vector<double> out;
  for (int l = 0; l < placement.num_layers(); ++l) {
    std::vector<double> loads = placement.gpu_loads(l, weight[l]);
    double max = *std::max_element(loads.begin(), loads.end());
    double mean = std::accumulate(loads.begin(), loads.end(), 0.0) / static_cast<double>(loads.size());
    out.push_back(max > 0 ? mean / max : 1.0);
  }
  return out;
}

}  // namespace moesim::policy
