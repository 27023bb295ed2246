// Precision: what a kind can run, and what a precision changes. FP4 experts run at the FP4 peak on Blackwell and as
// weight-only FP4 dequantized to BF16 on Hopper; attention is BF16 or FP8; an FP4 KV cache needs FP4 tensor cores.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "hardware/hardware.h"
#include "models/cost/gemm.h"
#include "models/cost/kernels.h"
#include "models/cost/precision_rules.h"
#include "tests/support/model.h"

using namespace moesim;
using hardware::Precision;

TEST_CASE("precision: a kind refuses what it cannot run, naming the component and what it can") {
  auto h800 = hardware::load_hardware_spec("h800").gpu;
  auto b200 = hardware::load_hardware_spec("b200").gpu;
  const auto& v3 = test::v3_model();
  CHECK_THROWS_WITH(cost::with_precision(v3, {"", "nvfp4", ""}, b200),
                    "attention: B200 has no nvfp4 attention kernels (bf16 | fp8)");
  CHECK_THROWS_WITH(cost::with_precision(v3, {"", "", "nvfp4"}, h800),
                    "kv: an nvfp4 KV cache needs FP4 tensor cores to read it; H800 SXM5 has none (bf16 | fp8)");
  CHECK_THROWS_WITH(cost::with_precision(v3, {"int4", "", ""}, h800),
                    "moe: unknown precision \"int4\" (known: bf16 | fp8 | nvfp4 | mxfp4)");
  CHECK(cost::with_precision(v3, {"", "", "nvfp4"}, b200).precision.kv == Precision::kNvfp4);
  auto native = cost::with_precision(v3, {}, h800);
  CHECK(native.precision.moe == Precision::kFp8);
  CHECK(native.precision.attention == Precision::kBf16);
  CHECK(native.precision.kv == Precision::kBf16);
  // Hopper runs FP4 weights dequantized to BF16; Blackwell on its FP4 tensor cores.
  CHECK(hardware::compute_precision(Precision::kMxfp4, h800) == Precision::kBf16);
  CHECK(hardware::compute_precision(Precision::kNvfp4, b200) == Precision::kNvfp4);
  CHECK_THROWS_AS(hardware::peak_flops(h800, Precision::kNvfp4), InputError);
}

TEST_CASE("precision: FP4 experts are faster than FP8 on Blackwell when compute-bound, slower on Hopper") {
  auto h800 = hardware::load_hardware("h800");
  auto b200 = hardware::load_hardware("b200");
  cost::GemmModel g8(h800), gb(b200);
  auto grouped = [](const cost::GemmModel& g, Precision p, double m) {
    return g.grouped_s(cost::GemmLayout::kContiguous, 9, m, 4096, 7168, 132, p);
  };
  // Compute-bound (8,192 rows per expert): Blackwell's FP4 peak is twice its FP8; Hopper computes FP4 in BF16.
  CHECK(grouped(gb, Precision::kNvfp4, 8192) < 0.7 * grouped(gb, Precision::kFp8, 8192));
  CHECK(grouped(g8, Precision::kMxfp4, 8192) > 1.5 * grouped(g8, Precision::kFp8, 8192));
  // Memory-bound (a few rows per expert): FP4 weights are about half FP8's bytes, on both.
  CHECK(grouped(gb, Precision::kNvfp4, 4) < 0.75 * grouped(gb, Precision::kFp8, 4));
  CHECK(grouped(g8, Precision::kFp8, 8192) ==
        Approx(g8.grouped_s(cost::GemmLayout::kContiguous, 9, 8192, 4096, 7168, 132)));
}

TEST_CASE("precision: an FP8 KV cache halves the KV bytes, FP8 attention computes at the FP8 peak") {
  auto h800 = hardware::load_hardware("h800");
  const auto& v3 = test::v3_model();
  auto fp8_kv = cost::with_precision(v3, {"", "", "fp8"}, h800.gpu);
  CHECK(fp8_kv.kv_bytes_per_token() == Approx(v3.kv_bytes_per_token() / 2));
  auto fp8_attention = cost::with_precision(v3, {"", "fp8", "fp8"}, h800.gpu);
  cost::KernelModel bf16(h800, v3), fp8(h800, fp8_attention);
  // Compute-bound at 1e8 attention pairs: the time over the ratio of the spec's FP8 and BF16 peaks (2 within 0.1 %).
  CHECK(fp8.prefill_attention_s(1e8, 132) == Approx(bf16.prefill_attention_s(1e8, 132) / 2).epsilon(0.002));
  CHECK(fp8.decode_attention_s(64, 64 * 32768.0, 2, 132) < bf16.decode_attention_s(64, 64 * 32768.0, 2, 132));
}
