// End-to-end tests of `moesim step`: its JSON contract, impossible shapes, overlap, and EPLB under skew.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/command.h"

namespace {

using moesim::test::run_moesim;
using moesim::test::step_json;

}  // namespace

TEST_CASE("moesim step: --json gives the step, the layer period, throughput per node and the breakdown") {
  auto j = step_json("--hardware h800 --phase decode --ep 128 --batch-per-gpu 128 --kv-len 4096");
  REQUIRE(j["step_time_s"].get<double>() > 0);
  REQUIRE(j["layer_time_s"].get<double>() > 0);
  REQUIRE(j["tokens_per_s_per_node"].get<double>() > 0);
  REQUIRE(j["breakdown"].size() > 10);
  REQUIRE(j["breakdown"][0].contains("operator"));
  REQUIRE(j["breakdown"][0].contains("resource"));
  REQUIRE(j["breakdown"][0].contains("seconds"));
}

TEST_CASE("moesim step: overlap shortens the step at DeepSeek's published profile settings") {
  auto pre_on = step_json("--phase prefill --ep 32 --tokens-per-gpu 16384");
  auto pre_off = step_json("--phase prefill --ep 32 --tokens-per-gpu 16384 --overlap off");
  CHECK(pre_on["step_time_s"].get<double>() < pre_off["step_time_s"].get<double>());
  auto dec_on = step_json("--phase decode --ep 128 --batch-per-gpu 128 --kv-len 4096 --mtp on");
  auto dec_off = step_json("--phase decode --ep 128 --batch-per-gpu 128 --kv-len 4096 --mtp on --overlap off");
  CHECK(dec_on["step_time_s"].get<double>() < dec_off["step_time_s"].get<double>());
}

TEST_CASE("moesim step: impossible shapes are clear errors with exit status 2") {
  auto a = run_moesim("step --phase decode --ep 12 --batch-per-gpu 8 --kv-len 100");
  CHECK(a.status == 2);
  CHECK(a.output.find("--ep: expected a positive multiple of 8 up to 8000, got 12") != std::string::npos);
  auto b = run_moesim("step --phase prefill --ep 32 --tokens-per-gpu 16385");
  CHECK(b.status == 2);
  CHECK(b.output.find("do not split into two micro-batches") != std::string::npos);
  auto c = run_moesim("step --phase decode --ep 144 --batch-per-gpu 4000 --kv-len 100000");
  CHECK(c.status == 2);
  CHECK(c.output.find("a decode unit of EP144 on h800 needs") != std::string::npos);
  CHECK(c.output.find("GB it may use") != std::string::npos);
  // A unit whose weights alone do not fit: DeepSeek-V3 on one H800 node, refused with the figures.
  auto e = run_moesim("step --phase prefill --ep 8 --tokens-per-gpu 16384");
  CHECK(e.status == 2);
  CHECK(e.output.find("a prefill unit of EP8 on h800 needs") != std::string::npos);
  auto d = run_moesim("step --hardware tpu --phase decode --ep 144 --batch-per-gpu 8 --kv-len 100");
  CHECK(d.status == 2);
}

TEST_CASE("moesim step: precision flags change the step and a kind refuses what it cannot run") {
  auto fp8 = step_json("--hardware b200 --phase prefill --ep 32 --tokens-per-gpu 16384");
  auto fp4 = step_json("--hardware b200 --phase prefill --ep 32 --tokens-per-gpu 16384 --moe-precision nvfp4");
  CHECK(fp4["step_time_s"].get<double>() < fp8["step_time_s"].get<double>());
  auto bad =
      run_moesim("step --hardware h800 --phase decode --ep 144 --batch-per-gpu 8 --kv-len 100 --kv-precision nvfp4");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("--kv-precision: an nvfp4 KV cache needs FP4 tensor cores") != std::string::npos);
}

TEST_CASE("moesim step: --efficiency-scale moves one family's efficiency, an unknown family or factor is refused") {
  const std::string setting = "--hardware b200 --phase decode --ep 144 --batch-per-gpu 64 --kv-len 4096";
  auto base = step_json(setting);
  auto slower = step_json(setting + " --efficiency-scale grouped_masked=0.8");
  auto faster = step_json(setting + " --efficiency-scale grouped_masked=1.2 --efficiency-scale dense_gemm=1.2");
  CHECK(slower["step_time_s"].get<double>() > base["step_time_s"].get<double>());
  CHECK(faster["step_time_s"].get<double>() < base["step_time_s"].get<double>());
  auto bad = run_moesim("step " + setting + " --efficiency-scale tensor=2");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("--efficiency-scale tensor=2: unknown kernel family \"tensor\"") != std::string::npos);
  auto zero = run_moesim("step " + setting + " --efficiency-scale router=0");
  CHECK(zero.status == 2);
  CHECK(zero.output.find("expected FAMILY=FACTOR with a factor in (0, 100]") != std::string::npos);
}

TEST_CASE("moesim step: with zipf skew the EPLB beats no balancing on MoE time, prefill and decode") {
  for (const char* alpha : {"0.8", "1.0"}) {
    std::string skew = std::string(" --expert-skew zipf:") + alpha;
    auto pre_none = step_json("--phase prefill --ep 32 --tokens-per-gpu 16384 --eplb none" + skew);
    auto pre_eplb = step_json("--phase prefill --ep 32 --tokens-per-gpu 16384 --eplb auto" + skew);
    CHECK(pre_eplb["micro_batch_stages_s"]["MLP"].get<double>() <
          pre_none["micro_batch_stages_s"]["MLP"].get<double>());
    CHECK(pre_eplb["step_time_s"].get<double>() < pre_none["step_time_s"].get<double>());
    auto dec_none = step_json("--phase decode --ep 144 --batch-per-gpu 64 --kv-len 4096 --eplb none" + skew);
    auto dec_eplb = step_json("--phase decode --ep 144 --batch-per-gpu 64 --kv-len 4096 --eplb auto" + skew);
    CHECK(dec_eplb["micro_batch_stages_s"]["MLP"].get<double>() <
          dec_none["micro_batch_stages_s"]["MLP"].get<double>());
    CHECK(dec_eplb["step_time_s"].get<double>() < dec_none["step_time_s"].get<double>());
  }
}
