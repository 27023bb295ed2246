// ModelStep (sim/cluster/model_step.h) over pools of different hardware kinds: each pool's step model on its own
// kind, the KV transfer between the two, and the memory fit of each pool on its own kind.
#include "sim/cluster/model_step.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/scenario_file.h"
#include "models/cost/kernels.h"

using namespace moesim::cluster;

namespace {

// The fixed fleet of a small scenario, its pools on the kinds given.
Scenario on(const std::string& prefill_kind, const std::string& decode_kind, const std::string& extra = "") {
  auto doc = nlohmann::json::parse(R"({
    "name": "t", "hardware": "h800", "horizon_s": 60,
    "workload": {"kind": "constant", "rate_per_s": 10},
    "fleet": {"prefill": {"units": 1}, "decode": {"units": 1}}
  })");
  moesim::apply_override(doc, "fleet.prefill.hardware=\"" + prefill_kind + "\"");
  moesim::apply_override(doc, "fleet.decode.hardware=\"" + decode_kind + "\"");
  if (!extra.empty()) moesim::apply_override(doc, extra);
  return parse_scenario(doc, "t.json");
}

double prefill_step(const ModelStep& m, int64_t ranks) {
  std::vector<PrefillRankLoad> loads(static_cast<size_t>(ranks), {8192, 8192.0 * 4096, 2});
  return m.prefill_step_s(loads, 1.0);
}

}  // namespace

TEST_CASE("model step: each pool steps on its own kind") {
  const ModelStep mixed(on("h200", "h800"));
  const ModelStep h200(on("h200", "h200"));
  const ModelStep h800(on("h800", "h800"));
  CHECK(prefill_step(mixed, 32) == prefill_step(h200, 32));
  CHECK(prefill_step(mixed, 32) != prefill_step(h800, 32));
  CHECK(mixed.decode_uniform_step_s(64, 4096, 1.0) == h800.decode_uniform_step_s(64, 4096, 1.0));
  CHECK(mixed.decode_uniform_step_s(64, 4096, 1.0) != h200.decode_uniform_step_s(64, 4096, 1.0));
  CHECK(mixed.decode_kv_capacity_tokens() == h800.decode_kv_capacity_tokens());
}

TEST_CASE("model step: the KV transfer is the decode side's KV over the slower of the two kinds' NICs") {
  const Scenario s = on("h200", "gb200-nvl72");
  const ModelStep mixed(s);
  const auto& g = s.geometry;
  CHECK(mixed.kv_transfer_s(5000) == moesim::cost::kv_transfer_s(5000, *g.decode_kind.model,
                                                                  g.prefill_kind.hardware->node,
                                                                  g.decode_kind.hardware->node));
  // One kind: the KV over its own NIC, exactly as before the pools could differ.
  const Scenario one = on("h800", "h800", "precision.kv=\"fp8\"");
  const double nic = one.geometry.prefill_kind.hardware->node.nic_bytes_per_s;
  CHECK(ModelStep(one).kv_transfer_s(5000) == 5000 * 35136.0 / nic);  // an FP8 KV: 35136 bytes a token
}

TEST_CASE("model step: a pool whose kind cannot hold the model is refused naming the pool") {
  // A prefill unit of one node: an H200's 141 GB holds its share of the weights, an H800's 85 GB does not.
  const std::string one_node = "fleet.prefill.nodes_per_unit=1";
  Scenario fits = on("h200", "h800", one_node);
  fits.fleet.prefill.redundant_experts = 0;
  resolve_geometry(fits);
  CHECK_NOTHROW(ModelStep(fits));
  Scenario refused = fits;
  refused.fleet.prefill.hardware = "h800";
  resolve_geometry(refused);
  CHECK_THROWS_WITH(ModelStep(refused), Catch::StartsWith("fleet.prefill: a prefill unit of EP8 on h800 needs"));
}
