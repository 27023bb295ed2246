// Validation against DeepSeek's training profile (deepseek-ai/profile-data train.json; H800, EP64, 4,096 tokens per
// GPU, GEMMs on 112 of 132 SMs, routing forced balanced). Each forward GEMM kernel's measured time is predicted by
// the GEMM cost model (the tile-wave form fitted to the DeepGEMM tables alone). Tolerance: median within 20 %, each
// within 40 %: the tables were measured in isolation on 132 SMs with a different NVCC; the profile's kernels share
// the GPU with communication. The worst is kv_a (N = 576, 4.5 tiles of 128 columns: -36 %); the H800 tables
// interpolated (before the form) had every kernel within 25 %. The isolated form runs about 12 % faster than the
// profile in the median, what the in-situ fit (moesim fit: training efficiency about 0.88) then charges.
// The FlashAttention-3 row is calibration (it sets the prefill attention rate), so it is checked to be exact.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/paths.h"
#include "hardware/hardware.h"
#include "models/cost/gemm.h"
#include "models/cost/kernels.h"
#include "models/llm/model.h"

using namespace moesim;

TEST_CASE("validation: the training profile's forward GEMM kernels are predicted within 20 % (median) and 40 % (worst)") {
  auto hw = hardware::load_hardware("h800");
  cost::GemmModel gemm(hw);
  int checked = 0;
  std::vector<double> errors;
  for (const auto& k : hw.profile.kernels) {
    if (k.use != "validation") continue;
    double predicted = k.grouped ? gemm.grouped_s(cost::GemmLayout::kContiguous, k.gemm.groups, k.gemm.m, k.gemm.n,
                                                  k.gemm.k, hw.profile.gemm_sms)
                                 : gemm.dense_s(k.gemm.m, k.gemm.n, k.gemm.k, hw.profile.gemm_sms);
    INFO(k.name << ": predicted " << predicted * 1e6 << " us, measured " << k.seconds * 1e6 << " us");
    CHECK(std::fabs(predicted - k.seconds) / k.seconds <= 0.40);
    errors.push_back(std::fabs(predicted - k.seconds) / k.seconds);
    ++checked;
  }
  CHECK(checked == 9);
  std::sort(errors.begin(), errors.end());
  CHECK(errors[errors.size() / 2] <= 0.20);
}

TEST_CASE("validation: the FlashAttention-3 row is calibration and comes back exactly") {
  auto hw = hardware::load_hardware("h800");
  auto model = llm::load_model("deepseek-v3");
  cost::KernelModel kernels(hw, model);
  double s = 4096;
  double t = kernels.prefill_attention_s(s * (s + 1) / 2, hw.profile.gemm_sms);
  CHECK(t == Approx(hw.profile.kernel("flash_attention_3_fwd").seconds).epsilon(1e-9));
}
