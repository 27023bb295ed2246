// The EPLB against the worked example of shared/reference/eplb.md, and its building blocks.
#include "sim/policy/eplb.h"

#include <catch2/catch.hpp>

#include "common/error.h"

using moesim::policy::EplbShape;
namespace eplb = moesim::policy::eplb;

namespace {

const std::vector<std::vector<double>> kWeight = {{90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86},
                                                  {20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27}};
const EplbShape kShape{.num_replicas = 16, .num_groups = 4, .num_nodes = 2, .num_gpus = 8};

}  // namespace

TEST_CASE("eplb: hierarchical reproduces the published worked example (phy2log, logcnt, per-GPU loads)") {
  auto p = moesim::policy::HierarchicalEplb().place(kWeight, kShape);
  CHECK(p.phy2log[0] == std::vector<int>{5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1});
  CHECK(p.phy2log[1] == std::vector<int>{7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1});
  CHECK(p.logcnt(0) == std::vector<int>{1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 2, 1});
  CHECK(p.logcnt(1) == std::vector<int>{1, 2, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1});
  CHECK(p.gpu_loads(0, kWeight[0]) == std::vector<double>{121.5, 86.5, 125, 113, 147.5, 131.5, 156, 152});
  CHECK(p.gpu_loads(1, kWeight[1]) == std::vector<double>{173, 179.5, 120.5, 172, 123, 152, 118.5, 117.5});
}

TEST_CASE("eplb: auto picks hierarchical when the groups divide among the nodes, else global") {
  CHECK(moesim::policy::AutoEplb::resolve(kShape) == "hierarchical");
  CHECK(moesim::policy::AutoEplb::resolve({.num_replicas = 16, .num_groups = 3, .num_nodes = 2, .num_gpus = 8}) ==
        "global");
  auto a = moesim::policy::AutoEplb().place(kWeight, kShape);
  auto h = moesim::policy::HierarchicalEplb().place(kWeight, kShape);
  CHECK(a.phy2log == h.phy2log);
}

TEST_CASE("eplb: balanced packing puts equal loads on the lower-index pack first") {
  auto packing = eplb::balanced_packing(std::vector<double>{5, 5, 5, 5}, 2);
  CHECK(packing.pack == std::vector<int>{0, 1, 0, 1});
  CHECK(packing.rank == std::vector<int>{0, 0, 1, 1});
}

TEST_CASE("eplb: replication gives the extra slot to the lower index among equal weight per replica") {
  auto rep = eplb::replicate_experts(std::vector<double>{4, 8, 8, 2}, 6);
  CHECK(rep.phy2log == std::vector<int>{0, 1, 2, 3, 1, 2});
  CHECK(rep.logcnt == std::vector<int>{1, 2, 2, 1});
  CHECK(rep.rank == std::vector<int>{0, 0, 0, 0, 1, 1});
}

TEST_CASE("eplb: none spreads experts in id order over the GPUs and leaves the redundant slots empty") {
  std::vector<std::vector<double>> w(1, std::vector<double>(12, 1.0));
  auto p = moesim::policy::NoneBalancer().place(w, kShape);
  CHECK(p.phy2log[0] == std::vector<int>{0, -1, 1, 2, 3, -1, 4, 5, 6, -1, 7, 8, 9, -1, 10, 11});
}

TEST_CASE("eplb: hierarchical refuses groups that do not divide among the nodes") {
  EplbShape shape{.num_replicas = 16, .num_groups = 3, .num_nodes = 2, .num_gpus = 8};
  CHECK_THROWS_AS(moesim::policy::HierarchicalEplb().place(kWeight, shape), moesim::InputError);
}
