// The shared harness of the CUDA microbenchmarks: timing (warm-up, L2 flushed before every timed run, CUDA events,
// first sample dropped, min / median / p90), deterministic test data, reference checks and the JSON result file
// (written by hand: the GPU machines have none of the project's libraries). docs/models/microbenchmarks.md.
//
//   bench::Timing t = ctx.harness->time([&] { my_kernel<<<g, b>>>(...); });
//   bench::record({"hbm_copy", shape.str(), "", t, check});
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace bench {

void check_cuda(cudaError_t e, const char* what, const char* file, int line);
void check_cublas(int status, const char* what, const char* file, int line);
#define CUDA_CHECK(x) bench::check_cuda((x), #x, __FILE__, __LINE__)
#define CUBLAS_CHECK(x) bench::check_cublas(static_cast<int>(x), #x, __FILE__, __LINE__)

/// Deterministic test value for element `index` of a tensor seeded `seed`: a multiple of 0.25 in [-1, 1], exact in
/// FP8 E4M3 and BF16, so that host references see exactly the values the GPU sees.
__host__ __device__ inline float test_value(unsigned long long index, unsigned seed) {
  unsigned long long x = index * 0x9E3779B97F4A7C15ull + (seed + 1ull) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return (static_cast<int>(x % 9ull) - 4) * 0.25f;
}

/// Fill device tensors with test_value(i, seed) for i in [0, n).
void fill_fp8(__nv_fp8_e4m3* p, size_t n, unsigned seed);
void fill_bf16(__nv_bfloat16* p, size_t n, unsigned seed);
void fill_f32(float* p, size_t n, float value);

struct Timing {
  double min_s = 0, median_s = 0, p90_s = 0;
  int samples = 0;
};

/// Times GPU work on the default stream.
class Harness {
 public:
  Harness();
  ~Harness();
  /// Two warm-up runs, then N timed runs (N from the warm-up time: about 0.3 s in all, 5 to 30), each after an L2
  /// flush; the first timed sample is dropped.
  Timing time(const std::function<void()>& op);
  int l2_bytes() const { return l2_bytes_; }

 private:
  void flush_l2();
  void* flush_ = nullptr;
  size_t flush_bytes_ = 0;
  int l2_bytes_ = 0;
  cudaEvent_t start_, stop_;
};

/// The outcome of comparing a kernel's output with its reference.
struct Check {
  bool ok = false;
  std::string detail;
};

/// A JSON object of shape fields built in order: Fields().num("m", 64).str() == "{\"m\": 64}".
class Fields {
 public:
  Fields& num(const char* key, double value);
  Fields& text(const char* key, const std::string& value);
  Fields& flag(const char* key, bool value);
  std::string str() const { return "{" + body_ + "}"; }
  /// The fields without braces, to splice into another object.
  const std::string& body() const { return body_; }

 private:
  void key(const char* k);
  std::string body_;
};

struct Point {
  std::string family;
  std::string shape;  ///< a JSON object
  std::string extra;  ///< more "key": value pairs for the point (no braces), may be empty
  Timing timing;
  Check check;
};

/// Adds a point to the results (and prints a line on stderr).
void record(const Point& p);

/// Everything the benchmarks share.
struct Context {
  Harness* harness = nullptr;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t lt = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  int sms = 0;
  bool quick = false;  ///< a small sweep, for a smoke test
  /// Device bytes a benchmark may allocate (a share of the free memory at start).
  size_t memory_budget = 0;
};

void run_gemm_benchmarks(Context& c);
void run_attention_benchmarks(Context& c);

}  // namespace bench
