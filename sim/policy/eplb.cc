#include "sim/policy/eplb.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "common/error.h"

namespace moesim::policy {
namespace {

int num_experts_of(const std::vector<std::vector<double>>& weight) {
  if (weight.empty() || weight[0].empty()) throw std::invalid_argument("expert balancer: empty weight matrix");
  for (const auto& row : weight) {
    if (row.size() != weight[0].size()) throw std::invalid_argument("expert balancer: ragged weight matrix");
  }
  return static_cast<int>(weight[0].size());
}

cost::ExpertPlacement empty_placement(const std::vector<std::vector<double>>& weight, const EplbShape& shape) {
  cost::ExpertPlacement p;
  p.num_experts = num_experts_of(weight);
  shape.check(p.num_experts);
  p.num_gpus = shape.num_gpus;
  p.slots_per_gpu = shape.slots_per_gpu();
  p.phy2log.assign(weight.size(), std::vector<int>(shape.num_replicas, -1));
  return p;
}

std::vector<int> inverse(const std::vector<int>& perm) {
  std::vector<int> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int>(i);
  return inv;
}

}  // namespace

namespace eplb {

Packing balanced_packing(std::span<const double> weight, int packs) {
  const int n = static_cast<int>(weight.size());
  const int per_pack = n / packs;
  Packing out{std::vector<int>(n), std::vector<int>(n, 0)};
  if (per_pack == 1) {
    std::iota(out.pack.begin(), out.pack.end(), 0);  // the published shortcut: item i to pack i
    return out;
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return weight[a] > weight[b]; });
  std::vector<double> pack_weight(packs, 0.0);
  std::vector<int> pack_items(packs, 0);
  for (int item : order) {
    int best = -1;
    for (int p = 0; p < packs; ++p) {
      if (pack_items[p] < per_pack && (best < 0 || pack_weight[p] < pack_weight[best])) best = p;
    }
    out.pack[item] = best;
    out.rank[item] = pack_items[best];
    pack_weight[best] += weight[item];
    ++pack_items[best];
  }
  return out;
}

Replication replicate_experts(std::span<const double> weight, int slots) {
  const int n = static_cast<int>(weight.size());
  Replication out;
  out.phy2log.resize(slots);
  out.rank.assign(slots, 0);
  out.logcnt.assign(n, 1);
  std::iota(out.phy2log.begin(), out.phy2log.begin() + n, 0);
  for (int s = n; s < slots; ++s) {
    int best = 0;
    for (int e = 1; e < n; ++e) {
      if (weight[e] / out.logcnt[e] > weight[best] / out.logcnt[best]) best = e;
    }
    out.phy2log[s] = best;
    out.rank[s] = out.logcnt[best];
    ++out.logcnt[best];
  }
  return out;
}

std::vector<int> rebalance_layer(std::span<const double> weight, int num_replicas, int num_groups, int num_nodes,
                                 int num_gpus) {
  const int experts = static_cast<int>(weight.size());
  const int group_size = experts / num_groups, groups_per_node = num_groups / num_nodes;
  const int per_node = experts / num_nodes, slots_per_node = num_replicas / num_nodes;
  const int slots_per_gpu = num_replicas / num_gpus, gpus_per_node = num_gpus / num_nodes;

  // 1. Groups onto nodes; log2mlog numbers the experts node by node, groups in the order packed.
  std::vector<double> group_load(num_groups, 0.0);
  for (int e = 0; e < experts; ++e) group_load[e / group_size] += weight[e];
  Packing groups = balanced_packing(group_load, num_nodes);
  std::vector<int> log2mlog(experts);
  for (int e = 0; e < experts; ++e) {
    int g = e / group_size;
    log2mlog[e] = (groups.pack[g] * groups_per_node + groups.rank[g]) * group_size + e % group_size;
  }
  std::vector<int> mlog2log = inverse(log2mlog);

  std::vector<int> phy2log(num_replicas);
  for (int node = 0; node < num_nodes; ++node) {
    // 2. Replicate the node's experts into its slots.
    std::vector<double> node_load(per_node);
    for (int i = 0; i < per_node; ++i) node_load[i] = weight[mlog2log[node * per_node + i]];
    Replication rep = replicate_experts(node_load, slots_per_node);
    // 3. Pack the node's replicas onto its GPUs, each weighing load / logcnt.
    std::vector<double> replica_load(slots_per_node);
    for (int s = 0; s < slots_per_node; ++s) replica_load[s] = node_load[rep.phy2log[s]] / rep.logcnt[rep.phy2log[s]];
    Packing gpus = balanced_packing(replica_load, gpus_per_node);
    for (int s = 0; s < slots_per_node; ++s) {
      int slot = gpus.pack[s] * slots_per_gpu + gpus.rank[s];  // node-local physical slot
      phy2log[node * slots_per_node + slot] = mlog2log[node * per_node + rep.phy2log[s]];
    }
  }
  return phy2log;
}

}  // namespace eplb

cost::ExpertPlacement NoneBalancer::place(const std::vector<std::vector<double>>& weight,
                                          const EplbShape& shape) const {
  cost::ExpertPlacement p = empty_placement(weight, shape);
  const int experts = p.num_experts, gpus = shape.num_gpus;
  for (auto& row : p.phy2log) {
    for (int g = 0; g < gpus; ++g) {
      int first = static_cast<int>(static_cast<int64_t>(g) * experts / gpus);
      int last = static_cast<int>(static_cast<int64_t>(g + 1) * experts / gpus);
      for (int e = first; e < last; ++e) row[g * p.slots_per_gpu + (e - first)] = e;
    }
  }
  return p;
}

cost::ExpertPlacement HierarchicalEplb::place(const std::vector<std::vector<double>>& weight,
                                              const EplbShape& shape) const {
  cost::ExpertPlacement p = empty_placement(weight, shape);
  if (shape.num_groups % shape.num_nodes != 0) {
    throw InputError(fmt::format("hierarchical EPLB needs the groups ({}) to divide evenly among the nodes ({})",
                                 shape.num_groups, shape.num_nodes));
  }
  for (size_t l = 0; l < weight.size(); ++l) {
    p.phy2log[l] =
        eplb::rebalance_layer(weight[l], shape.num_replicas, shape.num_groups, shape.num_nodes, shape.num_gpus);
  }
  return p;
}

cost::ExpertPlacement GlobalEplb::place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const {
  cost::ExpertPlacement p = empty_placement(weight, shape);
  for (size_t l = 0; l < weight.size(); ++l) {
    p.phy2log[l] = eplb::rebalance_layer(weight[l], shape.num_replicas, 1, 1, shape.num_gpus);
  }
  return p;
}

std::string_view AutoEplb::resolve(const EplbShape& shape) {
  return shape.num_groups % shape.num_nodes == 0 ? "hierarchical" : "global";
}

cost::ExpertPlacement AutoEplb::place(const std::vector<std::vector<double>>& weight, const EplbShape& shape) const {
  if (resolve(shape) == "hierarchical") return HierarchicalEplb().place(weight, shape);
  return GlobalEplb().place(weight, shape);
}

}  // namespace moesim::policy
