
#include "sim/cluster/scenario.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "common/error.h"
#include "common/scenario_file.h"

using moesim::InputError;
using moesim::cluster::parse_scenario;
using moesim::cluster::to_json;

namespace {

nlohmann::json good() {
  return nlohmann::json::parse(R"({
    "name": "t", "seed": 3, "hardware": "h800", "horizon_s": 60,
    "workload": {"kind": "constant", "rate_per_s": 10},
    "fleet": {"prefill": {"units": 1}, "decode": {"units": 1, "balancer": "round-robin"}}
  })");
}

// Applies one override to the good scenario and returns the parse error.
std::string error_after(const std::string& assignment) {
  auto doc = good();
  moesim::apply_override(doc, assignment);
  try {
    parse_scenario(doc, "bad.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("scenario: each kind of bad value gets its own error naming the file and the JSON path") {
  CHECK(error_after("fleet.decode.nodes_per_unit=-4") ==
        "bad.json: fleet.decode.nodes_per_unit: expected an integer in [1, 1000], got -4");
  CHECK(error_after("fleet.decode.unitz=2") == "bad.json: fleet.decode.unitz: unknown key");
  CHECK(error_after("seed=\"abc\"") == "bad.json: seed: expected a non-negative integer, got \"abc\"");
  CHECK(error_after("horizon_s=0") ==
        "bad.json: horizon_s: expected a positive number of seconds up to 2592000 (30 days), got 0");
  CHECK(
      error_after("experts.window_s=1e12") ==
      "bad.json: experts.window_s: expected a positive number of seconds up to 2592000 (30 days), got 1000000000000.0");
  CHECK(error_after("hardware=\"tpu\"").rfind("bad.json: hardware: unknown hardware \"tpu\" (known: ", 0) == 0);
  CHECK(error_after("workload.kind=\"replay\"") ==
        "bad.json: workload.kind: expected one of generator, trace, constant, got \"replay\"");
  CHECK(error_after("workload.rate_per_s=0") ==
        "bad.json: workload.rate_per_s: a constant workload needs a positive rate");
  CHECK(error_after("workload.scale=150") == "bad.json: workload.scale: expected a number in (0, 100], got 150");
  CHECK(error_after("fleet.prefill.redundant_experts=31") ==
        "bad.json: fleet.prefill.redundant_experts: 256 + 31 expert slots do not divide among 32 GPUs");
  CHECK(error_after("fleet.prefill.overlap=1") == "bad.json: fleet.prefill.overlap: expected true or false, got 1");
  CHECK(error_after("autoscaler.decode_low=0.95") == "bad.json: autoscaler.decode_low: must be below decode_high");
  CHECK(error_after("autoscaler.noise_z=-1") == "bad.json: autoscaler.noise_z: expected a number in [0, 10], got -1");
  CHECK(error_after("autoscaler.persist_s=\"long\"") ==
        "bad.json: autoscaler.persist_s: expected a number of seconds in [0, 2592000] (30 days), got \"long\"");
  CHECK(error_after("autoscaler.noise_window_s=0") ==
        "bad.json: autoscaler.noise_window_s: expected a positive number of seconds up to 2592000 (30 days), got 0");
  CHECK(error_after("experts.eplb=\"greedy\"") ==
        "bad.json: experts.eplb: expected one of none, auto, global, hierarchical, got \"greedy\"");
  CHECK(error_after("autoscaler.policy=\"elastic\"") ==
        "bad.json: autoscaler.policy: expected one of none, fixed, slo, forecast, steady, got \"elastic\"");
  CHECK(error_after("fleet.prefill.balancer=\"random\"") ==
        "bad.json: fleet.prefill.balancer: expected one of round-robin, least-tokens, least-attention, published, "
        "power-of-two, oracle, got \"random\"");
  CHECK(error_after("fleet.decode.balancer=\"least-tokens\"") ==
        "bad.json: fleet.decode.balancer: expected one of round-robin, least-requests, least-kv, published, oracle, "
        "got \"least-tokens\"");
  CHECK(error_after("fleet.router=\"random\"") ==
        "bad.json: fleet.router: expected one of least-loaded, got \"random\"");
  CHECK(error_after("fleet=[1]") == "bad.json: fleet: expected an object, got an array");
  CHECK(error_after("slo.user_tokens_per_s=-21") ==
        "bad.json: slo.user_tokens_per_s: expected a positive number, got -21");
}

TEST_CASE("scenario: the steady autoscaler's persistence defaults to the start-up, unless set") {
  auto doc = good();
  moesim::apply_override(doc, "autoscaler.startup_s=900");
  CHECK(parse_scenario(doc, "s.json").autoscaler.persist_s == 900.0);
  moesim::apply_override(doc, "autoscaler.persist_s=300");
  CHECK(parse_scenario(doc, "s.json").autoscaler.persist_s == 300.0);
}

TEST_CASE("scenario: attention is data-parallel unless a pool says tp") {
  auto resolved = to_json(parse_scenario(good(), "good.json"));
  CHECK(resolved["fleet"]["decode"]["attention"] == "dp");
  auto doc = good();
  moesim::apply_override(doc, "fleet.decode.attention=\"tp\"");
  CHECK(to_json(parse_scenario(doc, "good.json"))["fleet"]["decode"]["attention"] == "tp");
  CHECK(error_after("fleet.prefill.attention=\"ep\"") ==
        "bad.json: fleet.prefill.attention: expected one of dp, tp, got \"ep\"");
}

TEST_CASE("scenario: precision defaults to the model's, resolves to names, and a kind refuses what it cannot run") {
  auto resolved = to_json(parse_scenario(good(), "good.json"));
  CHECK(resolved["precision"]["moe"] == "fp8");
  CHECK(resolved["precision"]["attention"] == "bf16");
  CHECK(resolved["precision"]["kv"] == "bf16");
  CHECK(
      error_after("precision.kv=\"nvfp4\"") ==
      "bad.json: precision: kv: an nvfp4 KV cache needs FP4 tensor cores to read it; H800 SXM5 has none (bf16 | fp8)");
  CHECK(error_after("precision.moe=\"int4\"") ==
        "bad.json: precision: moe: unknown precision \"int4\" (known: bf16 | fp8 | nvfp4 | mxfp4)");
  CHECK(error_after("precision.weights=\"fp8\"") == "bad.json: precision.weights: unknown key");
  auto doc = good();
  moesim::apply_override(doc, "precision.kv=\"fp8\"");
  CHECK(to_json(parse_scenario(doc, "good.json"))["precision"]["kv"] == "fp8");
}

TEST_CASE("scenario: a good scenario round-trips through its resolved form unchanged") {
  auto s = parse_scenario(good(), "good.json");
  auto resolved = to_json(s);
  auto again = parse_scenario(resolved, "resolved-scenario.json");
  REQUIRE(to_json(again) == resolved);
  REQUIRE(resolved["fleet"]["decode"]["nodes_per_unit"] == 18);  // defaults are written out
  REQUIRE(resolved["fleet"]["decode"]["balancer"] == "round-robin");
}

TEST_CASE("scenario: parsing builds each pool's unit geometry from the hardware spec and the model") {
  auto s = parse_scenario(good(), "good.json");
  CHECK(s.geometry.prefill.gpus == 32);  // 4 nodes of the H800 spec's 8 GPUs
  CHECK(s.geometry.decode.gpus == 144);  // 18 nodes
  CHECK(s.geometry.decode.expert_slots == 256 + 32);
  CHECK(s.geometry.decode.kv_bytes_per_token == 70'272);
  moesim::cluster::check_geometry(s);
  s.fleet.decode.nodes_per_unit = 4;  // changed in code: the geometry is stale until resolved again
  CHECK_THROWS_AS(moesim::cluster::check_geometry(s), std::logic_error);
  moesim::cluster::resolve_geometry(s);
  CHECK(s.geometry.decode.gpus == 32);
  moesim::cluster::check_geometry(s);
}

TEST_CASE("scenario: extends merges a base file and --set overrides any field") {
  auto dir = std::filesystem::temp_directory_path() / ("moesim-scenario-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "base");
  std::ofstream(dir / "base" / "h800.json")
      << R"({"hardware": "h800", "fleet": {"decode": {"units": 2, "mtp": false}}})";
  std::ofstream(dir / "run.json") << R"({"extends": "base/h800.json", "name": "x", "fleet": {"decode": {"units": 3}}})";
  auto doc = moesim::resolve_scenario(dir / "run.json", {"fleet.prefill.units=5", "name=\"y\""});
  auto s = parse_scenario(doc, (dir / "run.json").string());
  REQUIRE(s.fleet.decode.units == 3);    // the extending file wins
  REQUIRE(s.fleet.decode.mtp == false);  // the base's other keys survive
  REQUIRE(s.fleet.prefill.units == 5);   // --set
  REQUIRE(s.name == "y");
  std::ofstream(dir / "loop.json") << R"({"extends": "loop.json"})";
  REQUIRE_THROWS_WITH(moesim::resolve_scenario(dir / "loop.json"), Catch::Contains("extends: cycle"));
  std::ofstream(dir / "broken.json") << "{\n  \"seed\": 1,\n  oops\n}";
  REQUIRE_THROWS_WITH(moesim::resolve_scenario(dir / "broken.json"), Catch::Contains("broken.json:3:"));
  REQUIRE_THROWS_WITH(moesim::resolve_scenario(dir / "missing.json"),
                      Catch::Contains("missing.json: cannot open file"));
}

TEST_CASE("scenario: the pools' KV bytes per token are the model's at the scenario's KV precision") {
  using moesim::cluster::Scenario;
  Scenario native;
  moesim::cluster::resolve_geometry(native);
  CHECK(native.geometry.prefill.kv_bytes_per_token == 70272);  // DeepSeek-V3, BF16 KV: (512 + 64) x 2 B x 61 layers
  Scenario fp8;
  fp8.precision.kv = "fp8";
  moesim::cluster::resolve_geometry(fp8);
  CHECK(fp8.geometry.prefill.kv_bytes_per_token == 35136);
  CHECK(fp8.geometry.decode.kv_bytes_per_token == 35136);
  CHECK(fp8.geometry.decode_kind.model->kv_bytes_per_token() == 35136.0);
}

TEST_CASE("scenario: each pool's hardware defaults to the scenario's and the resolved scenario writes it") {
  auto s = parse_scenario(good(), "good.json");
  CHECK(s.fleet.prefill.hardware.empty());  // not given: the scenario's kind
  CHECK(moesim::cluster::pool_hardware(s, s.fleet.prefill) == "h800");
  auto resolved = to_json(s);
  CHECK(resolved["fleet"]["prefill"]["hardware"] == "h800");
  CHECK(resolved["fleet"]["decode"]["hardware"] == "h800");
  CHECK(resolved["economics"]["usd_per_gpu_hour"] == 2.0);  // one price bills both pools
  // One kind for both pools: the spec, the tables and the model are loaded once and shared.
  CHECK(s.geometry.prefill_kind.hardware == s.geometry.decode_kind.hardware);
  CHECK(s.geometry.prefill_kind.model == s.geometry.decode_kind.model);
}

TEST_CASE("scenario: an unknown pool kind is an error naming the pool's hardware key and listing the known kinds") {
  const std::string e = error_after("fleet.prefill.hardware=\"tpu\"");
  CHECK(e.rfind("bad.json: fleet.prefill.hardware: unknown hardware \"tpu\" (known: ", 0) == 0);
  CHECK(e.find("h200") != std::string::npos);
  CHECK(error_after("fleet.decode.hardware=8") ==
        "bad.json: fleet.decode.hardware: expected a string, got 8");
}

TEST_CASE("scenario: the pools may be of different kinds, each pool's geometry on its own kind's node") {
  auto doc = good();
  moesim::apply_override(doc, "fleet.prefill.hardware=\"h200\"");
  moesim::apply_override(doc, "fleet.decode.hardware=\"gb200-nvl72\"");
  auto s = parse_scenario(doc, "mixed.json");
  CHECK(s.geometry.prefill.gpus == 32);          // 4 nodes of 8 H200s
  CHECK(s.geometry.decode.gpus == 72);           // 18 trays of 4 GB200s
  CHECK(s.geometry.prefill_kind.hardware->name == "h200");
  CHECK(s.geometry.decode_kind.hardware->name == "gb200-nvl72");
  CHECK(s.economics.prefill.gpus_per_node == 8);
  CHECK(s.economics.decode.gpus_per_node == 4);
  CHECK(s.economics.prefill.usd_per_gpu_hour == 4.0);  // each kind's spec price
  CHECK(s.economics.decode.usd_per_gpu_hour == 6.4);
  moesim::cluster::check_geometry(s);
  // Written out and read back, the same scenario: the two prices are the specs' again (no single price is written).
  auto resolved = to_json(s);
  CHECK(resolved["fleet"]["decode"]["hardware"] == "gb200-nvl72");
  CHECK_FALSE(resolved["economics"].contains("usd_per_gpu_hour"));
  auto again = parse_scenario(resolved, "resolved-scenario.json");
  CHECK(to_json(again) == resolved);
  CHECK(again.economics.decode.usd_per_gpu_hour == 6.4);
}

TEST_CASE("scenario: economics.usd_per_gpu_hour prices every pool's kind") {
  auto doc = good();
  moesim::apply_override(doc, "fleet.decode.hardware=\"h200\"");
  moesim::apply_override(doc, "economics.usd_per_gpu_hour=3.5");
  auto s = parse_scenario(doc, "priced.json");
  CHECK(s.economics.prefill.usd_per_gpu_hour == 3.5);
  CHECK(s.economics.decode.usd_per_gpu_hour == 3.5);
  auto resolved = to_json(s);
  CHECK(resolved["economics"]["usd_per_gpu_hour"] == 3.5);
  CHECK(to_json(parse_scenario(resolved, "resolved-scenario.json")) == resolved);
}

TEST_CASE("scenario: a precision a pool's own kind cannot run is refused naming that pool") {
  auto doc = good();
  moesim::apply_override(doc, "hardware=\"b200\"");  // FP4 tensor cores: an FP4 KV cache is read there
  moesim::apply_override(doc, "precision.kv=\"nvfp4\"");
  CHECK_NOTHROW(parse_scenario(doc, "b200.json"));
  moesim::apply_override(doc, "fleet.decode.hardware=\"h800\"");
  CHECK_THROWS_WITH(parse_scenario(doc, "bad.json"),
                    "bad.json: fleet.decode.hardware: h800 cannot run the scenario's precision: kv: an nvfp4 KV "
                    "cache needs FP4 tensor cores to read it; H800 SXM5 has none (bf16 | fp8)");
  // A precision no kind knows is the precision's error, whichever kinds the pools are of.
  moesim::apply_override(doc, "precision.moe=\"int4\"");
  CHECK_THROWS_WITH(parse_scenario(doc, "bad.json"),
                    "bad.json: precision: moe: unknown precision \"int4\" (known: bf16 | fp8 | nvfp4 | mxfp4)");
}
