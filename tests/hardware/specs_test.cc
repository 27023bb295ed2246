// Every hardware kind in hardware/specs, one body for all (docs/architecture.md, "Recipe: add a hardware kind"): the
// spec and the tables it borrows load, the tables carry to it with positive factors, and its node gives the unit
// geometry of DeepSeek's deployment (4-node prefill and 18-node decode units, 32 redundant experts).
#include <catch2/catch.hpp>

#include "hardware/hardware.h"
#include "models/llm/geometry.h"
#include "tests/support/model.h"

using namespace moesim;

TEST_CASE("hardware: every spec loads with its tables and gives a unit geometry") {
  auto names = hardware::hardware_names();
  REQUIRE(names.size() >= 3);
  for (const auto& name : names) {
    INFO(name);
    auto hw = hardware::load_hardware(name);
    CHECK(hw.name == name);
    CHECK(hardware::load_node_spec(name).gpus == hw.node.gpus);
    for (auto bound :
         {hardware::Bound::kCompute, hardware::Bound::kHbm, hardware::Bound::kNvlink, hardware::Bound::kNic})
      CHECK(hw.carry_factor(bound) > 0);
    for (int nodes : {4, 18}) {
      auto g = llm::unit_geometry(hw.node, test::v3_model(), nodes, 32);
      CHECK(g.gpus == nodes * hw.node.gpus);
      CHECK(g.expert_slots % g.gpus == 0);
    }
  }
}

TEST_CASE("hardware: a unit whose expert slots do not divide among its GPUs is an error naming both") {
  auto node = hardware::load_node_spec("h800");
  CHECK_THROWS_WITH(llm::unit_geometry(node, test::v3_model(), 4, 31),
                    "256 + 31 expert slots do not divide among 32 GPUs");
  auto g = llm::unit_geometry(node, test::v3_model(), 18, 32);
  CHECK(g.gpus_per_node == 8);
  CHECK(g.gpus == 144);
  CHECK(g.expert_slots == 288);
  CHECK(g.experts_per_token == 8);
  CHECK(g.expert_groups == 8);
  CHECK(g.groups_per_token == 4);
  CHECK(g.moe_layers == 58);
  CHECK(g.kv_bytes_per_token == 70'272);
}
