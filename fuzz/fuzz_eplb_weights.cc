// Fuzz target: the EPLB weights file (`moesim eplb --weights`): load_weight_matrix, then, for a matrix that loads and
// is small enough, every registered expert balancer places it on a shape derived from its size, and the placement
// must hold every expert.
#include "fuzz/fuzz_support.h"
#include "models/cost/expert_popularity.h"
#include "sim/policy/eplb.h"
#include "sim/policy/expert_balancer.h"

MOESIM_FUZZ_TARGET(eplb_weights) {
  using namespace moesim;
  auto file = fuzz::scratch().write("weights.json", data, size);
  fuzz::expect_input_errors([&] {
    auto weight = cost::load_weight_matrix(file.string());
    const int experts = static_cast<int>(weight[0].size());
    if (weight.size() * weight[0].size() > 4096) return;  // placement cost grows with the matrix; loading is fuzzed
    const int gpus = 4, nodes = 2;
    int groups = experts % 4 == 0 ? 4 : experts % 2 == 0 ? 2 : 1;
    int replicas = (experts + 4 + gpus - 1) / gpus * gpus;
    policy::EplbShape shape{replicas, groups, nodes, gpus};
    shape.check(experts);
    const auto& balancers = policy::builtin_expert_balancers();
    for (const auto& name : balancers.names()) {
      cost::ExpertPlacement placement = balancers.make(name)->place(weight, shape);
      fuzz::require(placement.num_layers() == static_cast<int>(weight.size()), "a placement per layer");
      for (int l = 0; l < placement.num_layers(); ++l) {
        auto counts = placement.logcnt(l);
        for (int e = 0; e < experts; ++e) fuzz::require(counts[e] >= 1, "every expert has a replica");
      }
      (void)policy::balancedness(placement, weight);
    }
  });
  return 0;
}
