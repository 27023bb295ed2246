// Dominance and named directions across hardware kinds: where kind A is at least kind B on every per-GPU figure of
// its spec, no step is slower on A; and the directions a planner expects from the datasheets hold (H20 prefill
// several times slower than H800's, H200 decode faster than H800's at long KV, dispatch and combine of an EP72 unit
// cheaper inside one GB200 NVL72 domain than across nine H800 nodes).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hardware/hardware.h"
#include "models/cost/kernels.h"
#include "models/llm/geometry.h"
#include "models/pipeline/unit_step.h"
#include "tests/support/model.h"

using namespace moesim;

namespace {

// Every per-GPU figure of the spec, "more is better".
std::vector<double> per_gpu_figures(const hardware::Hardware& hw) {
  const auto& g = hw.gpu;
  const auto& n = hw.node;
  return {double(g.sms),
          g.hbm_bytes,
          g.hbm_bytes_per_s,
          g.bf16_flops,
          g.fp8_flops,
          g.sustained_clock_mhz,
          n.nvlink_bytes_per_s,
          double(n.nvlink_domain_gpus),
          n.nics * n.nic_bytes_per_s / n.gpus,
          n.kv_cache_read_bytes_per_s / n.gpus};
}

bool dominates(const hardware::Hardware& a, const hardware::Hardware& b) {
  auto fa = per_gpu_figures(a), fb = per_gpu_figures(b);
  for (size_t i = 0; i < fa.size(); ++i) {
    if (fa[i] < fb[i]) return false;
  }
  return true;
}

struct Steps {
  double decode_short, decode_long, prefill;
};

Steps steps(const hardware::Hardware& hw, int decode_ep = 144, int prefill_ep = 32) {
  const auto& v3 = test::v3_model();
  auto dg = llm::unit_geometry(hw.node, v3, decode_ep / hw.node.gpus, 32);
  pipeline::UnitStepModel decode(hw, v3, {llm::Phase::kDecode, dg.gpus, true, true, dg.expert_slots});
  auto pg = llm::unit_geometry(hw.node, v3, prefill_ep / hw.node.gpus, 32);
  pipeline::UnitStepModel prefill(hw, v3, {llm::Phase::kPrefill, pg.gpus, true, false, pg.expert_slots});
  std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(pg.gpus), {16384, 16384.0 * 16385 / 2, 4});
  // Long KV at 16 sequences a GPU: 32 k tokens each fit an H800's HBM (64 would not), and at 32 query tokens a GPU
  // (MTP) FlashMLA's decode is still bound by reading the KV; at 128 it computes as long as it reads.
  return {decode.decode_loads(decode.uniform_decode_loads(64, 4096), 1.2).step_s,
          decode.decode_loads(decode.uniform_decode_loads(16, 32768), 1.2).step_s, prefill.prefill(ranks, 1.2).step_s};
}

}  // namespace

TEST_CASE("hardware: a kind at least as good as another on every per-GPU figure is never slower on a step") {
  std::vector<hardware::Hardware> all;
  for (const auto& name : hardware::hardware_names()) all.push_back(hardware::load_hardware(name));
  int pairs = 0;
  for (const auto& a : all) {
    for (const auto& b : all) {
      if (a.name == b.name || !dominates(a, b)) continue;
      ++pairs;
      INFO(a.name << " dominates " << b.name);
      auto sa = steps(a), sb = steps(b);
      CHECK(sa.decode_short <= sb.decode_short * (1 + 1e-9));
      CHECK(sa.decode_long <= sb.decode_long * (1 + 1e-9));
      CHECK(sa.prefill <= sb.prefill * (1 + 1e-9));
    }
  }
  CHECK(pairs >= 3);  // h100 over h800, h200 over h100, b200 over h200 at least
}

TEST_CASE("hardware: H20 prefill is several times slower than H800's, H200 decode at long KV faster than H800's") {
  auto h800 = steps(hardware::load_hardware("h800"));
  auto h20 = steps(hardware::load_hardware("h20"));
  auto h200 = steps(hardware::load_hardware("h200"));
  // H20: 296 against 1,979 dense FP8 TFLOPS (6.7x): compute-bound prefill at least 3x slower.
  CHECK(h20.prefill > 3 * h800.prefill);
  // H200: the same compute with 4.8 against 3.35 TB/s of HBM: decode over 32 k tokens of KV a sequence is faster.
  CHECK(h200.decode_long < 0.95 * h800.decode_long);
}

TEST_CASE(
    "hardware: an EP72 unit's dispatch and combine inside one GB200 NVL72 domain cost less than across H800 nodes") {
  const auto& v3 = test::v3_model();
  auto h800 = hardware::load_hardware("h800");
  auto gb200 = hardware::load_hardware("gb200-nvl72");
  cost::KernelModel on_h800(h800, v3), on_gb200(gb200, v3);
  for (double tokens : {32.0, 128.0, 256.0}) {
    INFO(tokens << " tokens per rank");
    CHECK(on_gb200.low_latency_dispatch_s(tokens, 72, 1.2) < on_h800.low_latency_dispatch_s(tokens, 72, 1.2));
    CHECK(on_gb200.low_latency_combine_s(tokens, 72, 1.2) < on_h800.low_latency_combine_s(tokens, 72, 1.2));
  }
  CHECK(on_gb200.normal_dispatch_s(4096, 72, 1.2) < on_h800.normal_dispatch_s(4096, 72, 1.2));
}
