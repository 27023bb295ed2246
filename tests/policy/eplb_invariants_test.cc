// Invariants of every registered expert balancer at DeepSeek sizes: 256 experts in 8 groups, 288 slots, a prefill
// unit (4 nodes, 32 GPUs) and a decode unit (18 nodes, 144 GPUs), 58 layers, several skews.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "common/error.h"
#include "models/cost/expert_popularity.h"
#include "sim/policy/eplb.h"
#include "tests/support/model.h"

using moesim::cost::ExpertPlacement;
using moesim::policy::EplbShape;

namespace {

constexpr int kExperts = 256, kGroups = 8, kGroupSize = 32;
const EplbShape kPrefill{.num_replicas = 288, .num_groups = kGroups, .num_nodes = 4, .num_gpus = 32};
const EplbShape kDecode{.num_replicas = 288, .num_groups = kGroups, .num_nodes = 18, .num_gpus = 144};

std::vector<std::vector<double>> weights(const char* skew) {
  moesim::cost::ExpertPopularity pop(moesim::cost::parse_skew_spec(skew), moesim::test::v3_routing(), 11);
  return pop.initial_shares();
}

double max_gpu_load(const ExpertPlacement& p, int layer, const std::vector<double>& w) {
  auto loads = p.gpu_loads(layer, w);
  return *std::max_element(loads.begin(), loads.end());
}

}  // namespace

TEST_CASE("eplb invariants: every balancer at DeepSeek sizes places every expert and fills GPUs evenly") {
  const auto& registry = moesim::policy::builtin_expert_balancers();
  REQUIRE(registry.names() == std::vector<std::string>{"none", "auto", "global", "hierarchical"});
  for (const char* skew : {"uniform", "calibrated", "lognormal:1.2", "zipf:1.0"}) {
    auto w = weights(skew);
    for (const EplbShape& shape : {kPrefill, kDecode}) {
      auto none = registry.make("none")->place(w, shape);
      for (const std::string& name : registry.names()) {
        if (name == "hierarchical" && shape.num_groups % shape.num_nodes != 0) {
          CHECK_THROWS_AS(registry.make(name)->place(w, shape), moesim::InputError);
          continue;
        }
        INFO(skew << ", " << name << ", " << shape.num_gpus << " GPUs");
        auto p = registry.make(name)->place(w, shape);
        REQUIRE(p.num_layers() == 58);
        REQUIRE(p.slots_per_gpu == 288 / shape.num_gpus);
        const int spg = p.slots_per_gpu;
        bool all_ok = true, fill_ok = true, lighter = true;
        for (int l = 0; l < p.num_layers(); ++l) {
          auto count = p.logcnt(l);
          all_ok &= std::all_of(count.begin(), count.end(), [](int c) { return c >= 1; });
          for (int g = 0; g < shape.num_gpus; ++g) {
            int held = static_cast<int>(std::count_if(
                p.phy2log[l].begin() + g * spg, p.phy2log[l].begin() + (g + 1) * spg, [](int e) { return e >= 0; }));
            // With redundancy every slot holds a replica; `none` holds its 256 / GPUs experts and leaves the rest.
            int lo = kExperts * g / shape.num_gpus, hi = kExperts * (g + 1) / shape.num_gpus;
            fill_ok &= name == "none" ? held == hi - lo : held == spg;
          }
          lighter &= max_gpu_load(p, l, w[l]) <= max_gpu_load(none, l, w[l]) * (1 + 1e-12);
        }
        CHECK(all_ok);
        CHECK(fill_ok);
        CHECK(lighter);
      }
    }
  }
}

TEST_CASE("eplb invariants: hierarchical keeps each group's replicas inside one node") {
  for (const char* skew : {"calibrated", "lognormal:1.2", "zipf:1.0"}) {
    auto w = weights(skew);
    auto p = moesim::policy::HierarchicalEplb().place(w, kPrefill);
    const int slots_per_node = 288 / kPrefill.num_nodes;
    bool inside = true;
    for (int l = 0; l < p.num_layers(); ++l) {
      std::vector<std::set<int>> nodes(kGroups);
      for (int s = 0; s < 288; ++s) nodes[p.phy2log[l][s] / kGroupSize].insert(s / slots_per_node);
      for (const auto& n : nodes) inside &= n.size() == 1;
    }
    CHECK(inside);
  }
}

TEST_CASE("eplb invariants: auto is hierarchical at 4 nodes and global at 18 nodes (8 groups)") {
  auto w = weights("calibrated");
  CHECK(moesim::policy::AutoEplb().place(w, kPrefill).phy2log ==
        moesim::policy::HierarchicalEplb().place(w, kPrefill).phy2log);
  CHECK(moesim::policy::AutoEplb().place(w, kDecode).phy2log == moesim::policy::GlobalEplb().place(w, kDecode).phy2log);
}

TEST_CASE("eplb invariants: the shape check names what is wrong") {
  REQUIRE_THROWS_WITH(EplbShape({.num_replicas = 300, .num_groups = 8, .num_nodes = 4, .num_gpus = 32}).check(256),
                      "replicas (300) must be a multiple of the GPUs (32)");
  REQUIRE_THROWS_WITH(EplbShape({.num_replicas = 224, .num_groups = 8, .num_nodes = 4, .num_gpus = 32}).check(256),
                      "fewer replicas (224) than experts (256): every expert needs a slot");
  REQUIRE_THROWS_WITH(EplbShape({.num_replicas = 288, .num_groups = 8, .num_nodes = 5, .num_gpus = 32}).check(256),
                      "GPUs (32) must be a multiple of the nodes (5)");
  REQUIRE_THROWS_WITH(EplbShape({.num_replicas = 288, .num_groups = 7, .num_nodes = 4, .num_gpus = 32}).check(256),
                      "the experts (256) must split into the groups (7) evenly");
}

TEST_CASE("eplb invariants: an unknown balancer name lists the known ones") {
  REQUIRE_THROWS_WITH(moesim::policy::builtin_expert_balancers().make("greedy"),
                      "unknown expert balancer 'greedy' (known: none, auto, global, hierarchical)");
}
