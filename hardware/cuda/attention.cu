// Attention benchmarks, formulated with cuBLAS strided-batched BF16 GEMMs and a simple row softmax kernel of our own
// (not FlashMLA or FlashAttention: the score matrix is written to HBM and read back, so these are upper bounds on
// what fused kernels take):
//   mla_decode: MLA decode with absorbed weights, 128 query heads per sequence against the sequence's latent cache
//     (key dim 576; value = its first 512 dims, as in MLA), batch 1-256, KV 1K-32K.
//   prefill_attention: a proxy for FlashAttention-3 in DeepSeek's profile: 128 heads, qk dim 192, v dim 128, full
//     (non-causal) S x S attention, so `pairs` = S^2.
// Each output is checked against a CPU reference on sampled (sequence, head) rows that rounds S and P to BF16 as the
// GPU path does.
//
//   S^T (kv x q) = K Q^T  (GEMM 1);  P = softmax(scale * S) per query row (in place);  O^T (dv x q) = V^T P^T (GEMM 2)
#include <cmath>
#include <string>
#include <vector>

#include "harness.h"

namespace bench {
namespace {

constexpr int kThreads = 256;

// One block per query row of `len` scores: max, sum of exponentials, normalize; BF16 in and out, FP32 inside.
__global__ void softmax_rows(__nv_bfloat16* s, int len, float scale) {
  __shared__ float red[kThreads];
  __nv_bfloat16* row = s + size_t(blockIdx.x) * len;
  float mx = -INFINITY;
  for (int i = threadIdx.x; i < len; i += kThreads) mx = fmaxf(mx, __bfloat162float(row[i]) * scale);
  red[threadIdx.x] = mx;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + w]);
    __syncthreads();
  }
  mx = red[0];
  __syncthreads();
  float sum = 0;
  for (int i = threadIdx.x; i < len; i += kThreads) sum += __expf(__bfloat162float(row[i]) * scale - mx);
  red[threadIdx.x] = sum;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  float inv = 1.0f / red[0];
  for (int i = threadIdx.x; i < len; i += kThreads)
    row[i] = __float2bfloat16(__expf(__bfloat162float(row[i]) * scale - mx) * inv);
}

float bf16_round(float x) { return __bfloat162float(__float2bfloat16(x)); }

struct Attention {
  int batch, q_rows, kv, dk, dv;
  bool v_in_k;  // MLA: V is the first dv dims of the cached key rows
  const __nv_bfloat16 *q, *k, *v;
  __nv_bfloat16 *s, *o;
};

void run_attention(Context& c, const Attention& a) {
  float one = 1, zero = 0;
  float scale = 1.0f / std::sqrt(float(a.dk));
  CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      c.blas, CUBLAS_OP_T, CUBLAS_OP_N, a.kv, a.q_rows, a.dk, &one, a.k, CUDA_R_16BF, a.dk, (long long)a.kv * a.dk, a.q,
      CUDA_R_16BF, a.dk, (long long)a.q_rows * a.dk, &zero, a.s, CUDA_R_16BF, a.kv, (long long)a.kv * a.q_rows, a.batch,
      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  softmax_rows<<<a.batch * a.q_rows, kThreads>>>(a.s, a.kv, scale);
  CUDA_CHECK(cudaGetLastError());
  const __nv_bfloat16* v = a.v_in_k ? a.k : a.v;
  int ldv = a.v_in_k ? a.dk : a.dv;
  CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      c.blas, CUBLAS_OP_N, CUBLAS_OP_N, a.dv, a.q_rows, a.kv, &one, v, CUDA_R_16BF, ldv, (long long)a.kv * ldv, a.s,
      CUDA_R_16BF, a.kv, (long long)a.kv * a.q_rows, &zero, a.o, CUDA_R_16BF, a.dv, (long long)a.dv * a.q_rows, a.batch,
      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

// Seeds of the generator for Q, K and V. Element (b, row, d) of each is at flat index (b * rows + row) * dim + d.
constexpr unsigned kSeedQ = 21, kSeedK = 22, kSeedV = 23;

Check check_attention(const Attention& a) {
  float scale = 1.0f / std::sqrt(float(a.dk));
  int ldv = a.v_in_k ? a.dk : a.dv;
  unsigned seed_v = a.v_in_k ? kSeedK : kSeedV;
  for (int sample = 0; sample < 3; ++sample) {
    long long b = (sample * 7919ll) % a.batch, h = (sample * 104729ll + 5) % a.q_rows;
    std::vector<float> p(a.kv);
    float mx = -INFINITY;
    for (int t = 0; t < a.kv; ++t) {
      float dot = 0;  // exact: multiples of 1/16 well inside FP32's integer range
      for (int d = 0; d < a.dk; ++d)
        dot += test_value((b * a.q_rows + h) * a.dk + d, kSeedQ) * test_value((b * a.kv + t) * a.dk + d, kSeedK);
      p[t] = bf16_round(dot) * scale;
      mx = std::max(mx, p[t]);
    }
    double sum = 0;
    for (float x : p) sum += std::exp(double(x) - mx);
    for (float& x : p) x = bf16_round(float(std::exp(double(x) - mx) / sum));
    std::vector<__nv_bfloat16> got(a.dv);
    CUDA_CHECK(cudaMemcpy(got.data(), a.o + (b * a.q_rows + h) * a.dv, a.dv * 2, cudaMemcpyDeviceToHost));
    double worst = 0, top = 1e-6;
    for (int e = 0; e < a.dv; ++e) {
      double ref = 0;
      for (int t = 0; t < a.kv; ++t) ref += double(p[t]) * test_value((b * a.kv + t) * ldv + e, seed_v);
      worst = std::max(worst, std::fabs(__bfloat162float(got[e]) - ref));
      top = std::max(top, std::fabs(ref));
    }
    // 2 % of the row's largest value: BF16 output and exp differences; a wrong layout is uncorrelated with it.
    if (worst > 0.02 * top + 1e-4)
      return {false, "row " + std::to_string(h) + " of sequence " + std::to_string(b) + ": error " +
                         std::to_string(worst) + " against largest value " + std::to_string(top)};
  }
  return {true, ""};
}

template <typename T>
T* alloc(size_t n) {
  T* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, n * sizeof(T)));
  return p;
}

void attention_points(Context& c, const char* family, int q_rows, int dk, int dv, bool v_in_k,
                      const std::vector<std::pair<int, int>>& configs) {
  size_t max_q = 0, max_k = 0, max_s = 0, max_o = 0;
  for (auto [batch, kv] : configs) {
    size_t bytes = 2 * (size_t(batch) * q_rows * dk + size_t(batch) * kv * dk * (v_in_k ? 1 : 2) +
                        size_t(batch) * q_rows * kv + size_t(batch) * q_rows * dv);
    if (bytes > c.memory_budget) continue;
    max_q = std::max(max_q, size_t(batch) * q_rows * dk);
    max_k = std::max(max_k, size_t(batch) * kv * dk);
    max_s = std::max(max_s, size_t(batch) * q_rows * kv);
    max_o = std::max(max_o, size_t(batch) * q_rows * dv);
  }
  if (max_s == 0) return;
  // Filled once: the flat-index layout makes every (batch, kv) a prefix of the same generated tensors.
  auto* q = alloc<__nv_bfloat16>(max_q);
  auto* k = alloc<__nv_bfloat16>(max_k);
  __nv_bfloat16* v = v_in_k ? nullptr : alloc<__nv_bfloat16>(max_k / dk * dv);
  auto* s = alloc<__nv_bfloat16>(max_s);
  auto* o = alloc<__nv_bfloat16>(max_o);
  fill_bf16(q, max_q, kSeedQ);
  fill_bf16(k, max_k, kSeedK);
  if (v) fill_bf16(v, max_k / dk * dv, kSeedV);
  for (auto [batch, kv] : configs) {
    if (size_t(batch) * q_rows * kv > max_s || size_t(batch) * kv * dk > max_k) {
      std::fprintf(stderr, "%s batch=%d kv=%d: skipped, over the memory budget\n", family, batch, kv);
      continue;
    }
    Attention a{batch, q_rows, kv, dk, dv, v_in_k, q, k, v, s, o};
    run_attention(c, a);
    CUDA_CHECK(cudaDeviceSynchronize());
    Check check = check_attention(a);
    Timing t = c.harness->time([&] { run_attention(c, a); });
    Fields shape;
    if (v_in_k) {
      shape.num("batch", batch).num("kv_len", kv).num("heads", q_rows).num("dk", dk).num("dv", dv);
    } else {
      shape.num("heads", batch).num("seq_len", kv).num("dk", dk).num("dv", dv).flag("causal", false);
      shape.num("pairs", double(kv) * kv);
    }
    record({family, shape.str(), Fields().text("method", "cublas_batched_gemm+softmax").body(), t, check});
  }
  for (void* p : {(void*)q, (void*)k, (void*)v, (void*)s, (void*)o})
    if (p) CUDA_CHECK(cudaFree(p));
}

}  // namespace

void run_attention_benchmarks(Context& c) {
  // MLA decode: 128 heads, key dim 576 (512 latent + 64 RoPE), value dim 512 (DeepSeek-V3; FlashMLA README).
  std::vector<int> batches = {1, 4, 16, 64, 128, 256}, kvs = {1024, 2048, 4096, 8192, 16384, 32768};
  if (c.quick) batches = {1, 64}, kvs = {1024, 4096};
  std::vector<std::pair<int, int>> decode;
  for (int b : batches)
    for (int kv : kvs) decode.push_back({b, kv});
  attention_points(c, "mla_decode", 128, 576, 512, true, decode);
  // Prefill proxy: batch = the 128 heads, each S queries against S keys (qk 192, v 128; DeepSeek's profile).
  std::vector<std::pair<int, int>> prefill = {{128, 1024}, {128, 2048}, {128, 4096}};
  if (c.quick) prefill = {{128, 1024}};
  // The query of each head has S rows: q_rows = S, passed per config below.
  for (auto [heads, seq] : prefill) attention_points(c, "prefill_attention", seq, 192, 128, false, {{heads, seq}});
}

}  // namespace bench
