#include "sim/policy/expert_balancer.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "common/error.h"

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
