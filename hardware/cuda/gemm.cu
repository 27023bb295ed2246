// GEMM benchmarks through cuBLASLt: FP8 E4M3 (the DeepGEMM shapes of shared/reference/hardware.md, M = 64, 128,
// 4096 and a sweep), BF16 on the same shapes, and strided-batched FP8 GEMMs standing in for DeepGEMM's grouped
// contiguous (prefill) and masked (decode) layouts. FP8 uses cuBLASLt's 128-element block scaling (activations 1 x 128,
// weights 128 x 128, as DeepGEMM) where the library offers an algorithm for it, else per-tensor scaling; the mode used
// is recorded with each point. Every output is checked on sampled elements against a CPU dot product first.
//
//   Layout: D (m x n, column-major, BF16) = A^T B with A stored k x m and B stored k x n (cuBLASLt's FP8 "TN" form):
//   A holds the m token rows, B the n weight rows, both contiguous along k.
#include <cmath>
#include <string>
#include <vector>

#include "harness.h"

namespace bench {
namespace {

struct LtPlan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  LtPlan() = default;
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;
  ~LtPlan() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

void batch_layout(cublasLtMatrixLayout_t l, int batch, long long stride) {
  if (batch <= 1) return;
  int32_t count = batch;
  CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count));
  int64_t s = stride;
  CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &s, sizeof s));
}

// Builds the plan; false when cuBLASLt has no algorithm for it (e.g. block scaling not supported).
bool make_plan(Context& c, cudaDataType ab, int m, int n, int k, int batch, bool block_scaling, const float* a_scale,
               const float* b_scale, LtPlan& p) {
  CUBLAS_CHECK(cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  if (ab == CUDA_R_8F_E4M3) {
    if (block_scaling) {
      int32_t am = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F, bm = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
      if (cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &am, sizeof am) !=
              CUBLAS_STATUS_SUCCESS ||
          cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &bm, sizeof bm) !=
              CUBLAS_STATUS_SUCCESS)
        return false;
    }
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &a_scale, sizeof a_scale));
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &b_scale, sizeof b_scale));
  }
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.a, ab, k, m, k));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.b, ab, k, n, k));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.d, CUDA_R_16BF, m, n, m));
  batch_layout(p.a, batch, (long long)k * m);
  batch_layout(p.b, batch, (long long)k * n);
  batch_layout(p.d, batch, (long long)m * n);
  cublasLtMatmulPreference_t pref;
  CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &c.workspace_bytes,
                                                    sizeof c.workspace_bytes));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(c.lt, p.op, p.a, p.b, p.d, p.d, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_SUCCESS || found == 0) return false;
  p.algo = result.algo;
  return true;
}

// Samples of D against double-precision dot products of the generator's values. The tolerance (1 % of |ref| plus
// 1 % of sqrt(k)) covers BF16 output rounding and Hopper's FP8 accumulation; a wrong layout is off by about sqrt(k).
Check check_output(const __nv_bfloat16* d, int m, int n, int k, int batch, unsigned seed_a, unsigned seed_b) {
  double worst = 0;
  for (int s = 0; s < 48; ++s) {
    long long g = (s * 7919ll) % batch, i = (s * 104729ll) % m, j = (s * 1299709ll) % n;
    double ref = 0;
    for (int kk = 0; kk < k; ++kk)
      ref += double(test_value(g * m * k + i * k + kk, seed_a)) * test_value(g * n * k + j * k + kk, seed_b);
    __nv_bfloat16 got;
    CUDA_CHECK(cudaMemcpy(&got, d + g * m * n + j * m + i, sizeof got, cudaMemcpyDeviceToHost));
    double err = std::fabs(__bfloat162float(got) - ref);
    double tol = 0.01 * std::fabs(ref) + 0.01 * std::sqrt(double(k));
    worst = std::max(worst, err / tol);
    if (err > tol)
      return {false, "D(" + std::to_string(i) + "," + std::to_string(j) + ") of group " + std::to_string(g) + " is " +
                         std::to_string(__bfloat162float(got)) + ", reference " + std::to_string(ref)};
  }
  return {true, ""};
}

// One GEMM family point: allocate, fill, plan (block scaling first for FP8), check, time, record.
void gemm_point(Context& c, const char* family, bool fp8, int batch, int m, int n, int k, const char* layout) {
  size_t elem = fp8 ? 1 : 2;
  size_t a_n = size_t(batch) * m * k, b_n = size_t(batch) * n * k, d_n = size_t(batch) * m * n;
  size_t scales = size_t(batch) * (size_t(k) / 128 + 2) * (size_t(std::max(m, n)) + 256);
  if (a_n * elem + b_n * elem + d_n * 2 + scales * 4 > c.memory_budget) {
    std::fprintf(stderr, "%s m=%d n=%d k=%d batch=%d: skipped, over the memory budget\n", family, m, n, k, batch);
    return;
  }
  void *a = nullptr, *b = nullptr;
  __nv_bfloat16* d = nullptr;
  float* scale = nullptr;
  CUDA_CHECK(cudaMalloc(&a, a_n * elem));
  CUDA_CHECK(cudaMalloc(&b, b_n * elem));
  CUDA_CHECK(cudaMalloc(&d, d_n * 2));
  // All scale factors are 1: the timing does not depend on their values, and the reference stays a plain product.
  CUDA_CHECK(cudaMalloc(&scale, scales * 4));
  fill_f32(scale, scales, 1.0f);
  if (fp8) {
    fill_fp8(static_cast<__nv_fp8_e4m3*>(a), a_n, 1);
    fill_fp8(static_cast<__nv_fp8_e4m3*>(b), b_n, 2);
  } else {
    fill_bf16(static_cast<__nv_bfloat16*>(a), a_n, 1);
    fill_bf16(static_cast<__nv_bfloat16*>(b), b_n, 2);
  }
  Fields shape;
  if (batch > 1 || layout[0])
    shape.num("groups", batch).num("m_per_group", m);
  else
    shape.num("m", m);
  shape.num("n", n).num("k", k);
  if (layout[0]) shape.text("layout", layout);
  cudaDataType ab = fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF;
  std::string scaling = fp8 ? "block128" : "none";
  LtPlan block_plan, tensor_plan;
  LtPlan* plan = &block_plan;
  if (!make_plan(c, ab, m, n, k, batch, fp8, scale, scale, block_plan)) {
    plan = &tensor_plan;
    scaling = fp8 ? "per_tensor" : "none";
    if (!make_plan(c, ab, m, n, k, batch, false, scale, scale, tensor_plan)) {
      std::fprintf(stderr, "%s m=%d n=%d k=%d batch=%d: cuBLASLt has no algorithm\n", family, m, n, k, batch);
      record(
          {family, shape.str(), Fields().text("scaling", scaling).body(), Timing{}, {false, "no cuBLASLt algorithm"}});
      cudaFree(a), cudaFree(b), cudaFree(d), cudaFree(scale);
      return;
    }
  }
  float alpha = 1, beta = 0;
  auto op = [&] {
    CUBLAS_CHECK(cublasLtMatmul(c.lt, plan->op, &alpha, a, plan->a, b, plan->b, &beta, d, plan->d, d, plan->d,
                                &plan->algo, c.workspace, c.workspace_bytes, 0));
  };
  CUDA_CHECK(cudaMemset(d, 0, d_n * 2));
  op();
  CUDA_CHECK(cudaDeviceSynchronize());
  Check check = check_output(d, m, n, k, batch, 1, 2);
  Timing t = c.harness->time(op);
  Fields extra;
  extra.text("scaling", scaling).text("library", "cublasLt");
  record({family, shape.str(), extra.body(), t, check});
  CUDA_CHECK(cudaFree(a));
  CUDA_CHECK(cudaFree(b));
  CUDA_CHECK(cudaFree(d));
  CUDA_CHECK(cudaFree(scale));
}

}  // namespace

void run_gemm_benchmarks(Context& c) {
  // (N, K) of DeepSeek-V3's GEMMs as in DeepGEMM's README tables (shared/reference/hardware.md).
  const int shapes[6][2] = {{2112, 7168}, {24576, 1536}, {32768, 512}, {7168, 16384}, {4096, 7168}, {7168, 2048}};
  std::vector<int> fp8_m = {64, 128, 256, 512, 1024, 2048, 4096, 8192};
  std::vector<int> bf16_m = {64, 128, 1024, 4096};
  if (c.quick) fp8_m = bf16_m = {64, 4096};
  for (auto& s : shapes)
    for (int m : fp8_m) gemm_point(c, "gemm_fp8", true, 1, m, s[0], s[1], "");
  for (auto& s : shapes)
    for (int m : bf16_m) gemm_point(c, "gemm_bf16", false, 1, m, s[0], s[1], "");
  // Grouped layouts of the README tables: contiguous (groups x M per group) and masked.
  const int contiguous[2][2] = {{4, 8192}, {8, 4096}};
  const int masked[3][2] = {{1, 1024}, {2, 512}, {4, 256}};
  for (auto& nk : {std::pair<int, int>{4096, 7168}, std::pair<int, int>{7168, 2048}}) {
    for (auto& g : contiguous) gemm_point(c, "grouped_gemm", true, g[0], g[1], nk.first, nk.second, "contiguous");
    for (auto& g : masked) gemm_point(c, "grouped_gemm", true, g[0], g[1], nk.first, nk.second, "masked");
  }
}

}  // namespace bench
