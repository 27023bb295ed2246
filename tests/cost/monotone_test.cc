// Properties of the raw cost functions and of a unit's step that hold on every hardware kind: time never falls as
// the work grows. The grids are dense and logarithmic (about 48 points an octave), so they cross the GEMM form's
// tile and wave boundaries and the DeepEP table's rows; each value is checked against its predecessor, not against a
// running maximum.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <vector>

#include "hardware/hardware.h"
#include "models/cost/gemm.h"
#include "models/cost/kernels.h"
#include "models/llm/geometry.h"
#include "models/pipeline/unit_step.h"
#include "tests/support/model.h"

using namespace moesim;

namespace {

std::vector<double> log_grid(double lo, double hi, int per_octave = 48) {
  std::vector<double> g;
  for (double x = lo; x <= hi; x *= std::exp2(1.0 / per_octave)) g.push_back(x);
  return g;
}

// Checks f(x) >= f(previous x) along the grid; reports the first fall.
void never_falls(const std::vector<double>& grid, const std::function<double(double)>& f, const std::string& what) {
  double prev = f(grid.front());
  for (size_t i = 1; i < grid.size(); ++i) {
    double t = f(grid[i]);
    INFO(what << ": at " << grid[i] << " time " << t << " s, at " << grid[i - 1] << " " << prev << " s");
    REQUIRE(t >= prev * (1 - 1e-12));
    prev = t;
  }
}

const std::vector<hardware::Hardware>& kinds() {
  static auto all = [] {
    std::vector<hardware::Hardware> v;
    for (const auto& name : hardware::hardware_names()) v.push_back(hardware::load_hardware(name));
    return v;
  }();
  return all;
}

}  // namespace

TEST_CASE("cost: on every hardware kind a GEMM's time never falls as rows, columns, depth or groups grow") {
  for (const auto& hw : kinds()) {
    INFO(hw.name);
    cost::GemmModel g(hw);
    const int sms = hw.gpu.sms;
    never_falls(log_grid(1, 65536), [&](double m) { return g.dense_s(m, 7168, 2048, sms); }, "dense rows");
    never_falls(log_grid(1, 65536), [&](double m) { return g.bf16_s(m, 129280, 7168, sms); }, "bf16 rows");
    never_falls(log_grid(16, 65536), [&](double n) { return g.dense_s(96, n, 7168, sms); }, "dense columns");
    never_falls(log_grid(16, 65536), [&](double k) { return g.dense_s(96, 4096, k, sms); }, "dense depth");
    for (int s = 2; s <= sms; ++s) {
      INFO("dense on " << s << " SMs against " << s - 1);
      CHECK(g.dense_s(4096, 4096, 7168, s) <= g.dense_s(4096, 4096, 7168, s - 1));
    }
    for (auto layout : {cost::GemmLayout::kContiguous, cost::GemmLayout::kMasked}) {
      never_falls(log_grid(0.5, 8192), [&](double m) { return g.grouped_s(layout, 9, m, 4096, 7168, sms); },
                  "grouped rows per group");
      never_falls(log_grid(1, 64), [&](double groups) { return g.grouped_s(layout, groups, 64, 4096, 7168, sms); },
                  "grouped groups");
    }
    never_falls(log_grid(1, 4096), [&](double m) { return g.batched_bf16_roofline_s(m, 128, 512, 128, sms); },
                "batched rows");
  }
}

TEST_CASE("cost: on every hardware kind attention, elementwise and all-to-all times never fall as their work grows") {
  const auto& v3 = test::v3_model();
  for (const auto& hw : kinds()) {
    INFO(hw.name);
    cost::KernelModel k(hw, v3);
    const int sms = hw.gpu.sms;
    never_falls(log_grid(1, 1e9, 8), [&](double pairs) { return k.prefill_attention_s(pairs, sms); },
                "prefill attention pairs");
    never_falls(log_grid(1, 1e7, 8), [&](double kv) { return k.decode_attention_s(64, kv, 2, sms); },
                "decode attention KV");
    for (const auto& op : llm::layer_operators(v3, llm::Phase::kPrefill, true)) {
      if (op.kind != llm::OpKind::kElementwise && op.kind != llm::OpKind::kRouter) continue;
      never_falls(log_grid(1, 65536), [&](double units) { return k.elementwise_s(op, units); }, op.name);
    }
    for (int ep : {8, 16, 32, 64, 72, 144, 288}) {
      if (ep % hw.node.gpus != 0) continue;
      INFO("EP" << ep);
      never_falls(log_grid(1, 16384, 16), [&](double t) { return k.normal_dispatch_s(t, ep, 1.2); }, "normal dispatch");
      never_falls(log_grid(1, 4096, 16), [&](double t) { return k.low_latency_combine_s(t, ep, 1.2); }, "LL combine");
      never_falls(log_grid(1, 4, 32), [&](double f) { return k.low_latency_dispatch_s(128, ep, f); }, "LL skew");
    }
  }
}

TEST_CASE("step: on every hardware kind a decode unit's step never falls as batch, KV length or expert skew grow") {
  const auto& v3 = test::v3_model();
  for (const auto& hw : kinds()) {
    INFO(hw.name);
    auto geometry = llm::unit_geometry(hw.node, v3, 144 / hw.node.gpus, 32);
    pipeline::UnitStepModel unit(hw, v3, {llm::Phase::kDecode, geometry.gpus, true, true, geometry.expert_slots});
    auto step = [&](double seqs, double kv, double factor) {
      return unit.decode_loads(unit.uniform_decode_loads(seqs, kv), factor).step_s;
    };
    never_falls(log_grid(1, 256, 16), [&](double b) { return step(b, 4096, 1.2); }, "decode batch");
    never_falls(log_grid(64, 131072, 8), [&](double kv) { return step(64, kv, 1.2); }, "decode KV length");
    never_falls(log_grid(1, 4, 32), [&](double f) { return step(64, 4096, f); }, "decode expert factor");
    auto pg = llm::unit_geometry(hw.node, v3, 32 / hw.node.gpus, 32);
    pipeline::UnitStepModel prefill(hw, v3, {llm::Phase::kPrefill, pg.gpus, true, false, pg.expert_slots});
    auto prefill_step = [&](double tokens) {
      std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(pg.gpus),
                                               {tokens, tokens * (tokens + 1) / 2, 1});
      return prefill.prefill(ranks, 1.2).step_s;
    };
    never_falls(log_grid(16, 65536, 8), prefill_step, "prefill tokens");
  }
}
