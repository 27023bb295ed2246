// The harness (timing, data, checks, JSON) and the copy benchmarks (HBM device-to-device, host-to-device), and main.
//
//   moesim_bench --out-dir hardware/measured          # all benchmarks, writes <gpu>-<date>.json
//   moesim_bench --out-dir /tmp --quick               # a small sweep (smoke test)
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "harness.h"

namespace bench {

void check_cuda(cudaError_t e, const char* what, const char* file, int line) {
  if (e == cudaSuccess) return;
  std::fprintf(stderr, "%s:%d: %s failed: %s\n", file, line, what, cudaGetErrorString(e));
  std::exit(3);
}

void check_cublas(int status, const char* what, const char* file, int line) {
  if (status == 0) return;
  std::fprintf(stderr, "%s:%d: %s failed: cuBLAS status %d\n", file, line, what, status);
  std::exit(3);
}

namespace {

__global__ void fill_fp8_kernel(__nv_fp8_e4m3* p, size_t n, unsigned seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = __nv_fp8_e4m3(test_value(i, seed));
}
__global__ void fill_bf16_kernel(__nv_bfloat16* p, size_t n, unsigned seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = __float2bfloat16(test_value(i, seed));
}
__global__ void fill_f32_kernel(float* p, size_t n, float v) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) p[i] = v;
}

std::vector<Point>& points() {
  static std::vector<Point> p;
  return p;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void fill_fp8(__nv_fp8_e4m3* p, size_t n, unsigned seed) {
  fill_fp8_kernel<<<1024, 256>>>(p, n, seed);
  CUDA_CHECK(cudaGetLastError());
}
void fill_bf16(__nv_bfloat16* p, size_t n, unsigned seed) {
  fill_bf16_kernel<<<1024, 256>>>(p, n, seed);
  CUDA_CHECK(cudaGetLastError());
}
void fill_f32(float* p, size_t n, float value) {
  fill_f32_kernel<<<256, 256>>>(p, n, value);
  CUDA_CHECK(cudaGetLastError());
}

Harness::Harness() {
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&l2_bytes_, cudaDevAttrL2CacheSize, dev));
  // Writing twice the L2 size evicts whatever the previous run left there (DeepEP's testing.py flushes the same way).
  flush_bytes_ = std::max<size_t>(2 * size_t(l2_bytes_), 64u << 20);
  CUDA_CHECK(cudaMalloc(&flush_, flush_bytes_));
  CUDA_CHECK(cudaEventCreate(&start_));
  CUDA_CHECK(cudaEventCreate(&stop_));
}

Harness::~Harness() {
  cudaFree(flush_);
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}

void Harness::flush_l2() { CUDA_CHECK(cudaMemsetAsync(flush_, 0, flush_bytes_)); }

Timing Harness::time(const std::function<void()>& op) {
  float ms = 0;
  for (int i = 0; i < 2; ++i) {
    flush_l2();
    CUDA_CHECK(cudaEventRecord(start_));
    op();
    CUDA_CHECK(cudaEventRecord(stop_));
    CUDA_CHECK(cudaEventSynchronize(stop_));
    CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
  }
  int n = static_cast<int>(std::clamp(300.0 / std::max(ms, 1e-3f), 5.0, 30.0));
  std::vector<double> s;
  for (int i = 0; i < n + 1; ++i) {
    flush_l2();
    CUDA_CHECK(cudaEventRecord(start_));
    op();
    CUDA_CHECK(cudaEventRecord(stop_));
    CUDA_CHECK(cudaEventSynchronize(stop_));
    CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    if (i > 0) s.push_back(ms * 1e-3);  // the first sample is dropped
  }
  std::sort(s.begin(), s.end());
  Timing t;
  t.samples = n;
  t.min_s = s.front();
  t.median_s = s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
  t.p90_s = s[std::min(s.size() - 1, static_cast<size_t>(std::ceil(0.9 * s.size())) - 1)];
  return t;
}

void Fields::key(const char* k) {
  if (!body_.empty()) body_ += ", ";
  body_ += "\"" + escape(k) + "\": ";
}
Fields& Fields::num(const char* k, double v) {
  key(k);
  body_ += number(v);
  return *this;
}
Fields& Fields::text(const char* k, const std::string& v) {
  key(k);
  body_ += "\"" + escape(v) + "\"";
  return *this;
}
Fields& Fields::flag(const char* k, bool v) {
  key(k);
  body_ += v ? "true" : "false";
  return *this;
}

void record(const Point& p) {
  points().push_back(p);
  std::fprintf(stderr, "%-18s %s median %.3f us check %s %s\n", p.family.c_str(), p.shape.c_str(),
               p.timing.median_s * 1e6, p.check.ok ? "pass" : "FAIL", p.check.detail.c_str());
}

namespace {

// HBM bandwidth: a device-to-device copy reads and writes every byte.
void run_hbm_copy(Context& c) {
  size_t bytes = c.quick ? (256u << 20) : (size_t(2) << 30);
  bytes = std::min(bytes, c.memory_budget / 2);
  char *src = nullptr, *dst = nullptr;
  CUDA_CHECK(cudaMalloc(&src, bytes));
  CUDA_CHECK(cudaMalloc(&dst, bytes));
  fill_bf16(reinterpret_cast<__nv_bfloat16*>(src), bytes / 2, 11);
  CUDA_CHECK(cudaMemset(dst, 0, bytes));
  auto op = [&] { CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice)); };
  op();
  CUDA_CHECK(cudaDeviceSynchronize());
  Check check{true, ""};
  for (size_t i = 0; i < 4096; ++i) {  // sampled elements against the generator
    size_t e = (i * 2654435761ull) % (bytes / 2);
    __nv_bfloat16 v;
    CUDA_CHECK(cudaMemcpy(&v, dst + 2 * e, 2, cudaMemcpyDeviceToHost));
    if (__bfloat162float(v) != test_value(e, 11)) {
      check = {false, "element " + std::to_string(e) + " differs from the source"};
      break;
    }
  }
  Timing t = c.harness->time(op);
  record({"hbm_copy", Fields().num("bytes", double(bytes)).str(), Fields().num("bytes_moved", 2.0 * bytes).body(), t,
          check});
  CUDA_CHECK(cudaFree(src));
  CUDA_CHECK(cudaFree(dst));
}

// Host-to-device bandwidth from pinned host memory (PCIe).
void run_h2d_copy(Context& c) {
  for (size_t bytes : {size_t(1) << 20, size_t(64) << 20, size_t(c.quick ? 64 : 1024) << 20}) {
    char *host = nullptr, *dev = nullptr;
    CUDA_CHECK(cudaMallocHost(&host, bytes));
    CUDA_CHECK(cudaMalloc(&dev, bytes));
    for (size_t i = 0; i < bytes; ++i) host[i] = static_cast<char>((i * 131u) >> 3);
    auto op = [&] { CUDA_CHECK(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice)); };
    op();
    CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<char> back(bytes);
    CUDA_CHECK(cudaMemcpy(back.data(), dev, bytes, cudaMemcpyDeviceToHost));
    Check check{std::memcmp(back.data(), host, bytes) == 0, ""};
    if (!check.ok) check.detail = "device copy differs from the host buffer";
    Timing t = c.harness->time(op);
    record({"h2d_copy", Fields().num("bytes", double(bytes)).flag("pinned", true).str(), "", t, check});
    CUDA_CHECK(cudaFreeHost(host));
    CUDA_CHECK(cudaFree(dev));
  }
}

std::string slug(const std::string& name) {
  std::string s;
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch)))
      s += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    else if (!s.empty() && s.back() != '-')
      s += '-';
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s.empty() ? "gpu" : s;
}

std::string device_record(int dev, std::string* name_out) {
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  int clock_khz = 0, mem_clock_khz = 0, driver = 0, runtime = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, dev));
  CUDA_CHECK(cudaDriverGetVersion(&driver));
  CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  *name_out = p.name;
  return Fields()
      .text("name", p.name)
      .num("sms", p.multiProcessorCount)
      .text("compute_capability", std::to_string(p.major) + "." + std::to_string(p.minor))
      .num("max_sm_clock_mhz", clock_khz / 1000.0)
      .num("max_memory_clock_mhz", mem_clock_khz / 1000.0)
      .num("memory_bus_bits", p.memoryBusWidth)
      .num("memory_bytes", double(p.totalGlobalMem))
      .num("l2_bytes", p.l2CacheSize)
      .num("driver_version", driver)
      .num("cuda_runtime_version", runtime)
      .num("cublas_version", double(cublasLtGetVersion()))
      .str();
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  std::string out_dir = ".";
  Context c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out-dir" && i + 1 < argc)
      out_dir = argv[++i];
    else if (a == "--quick")
      c.quick = true;
    else {
      std::fprintf(stderr, "usage: moesim_bench [--out-dir DIR] [--quick]\n");
      return 2;
    }
  }
  int dev = 0;
  CUDA_CHECK(cudaSetDevice(dev));
  std::string name;
  std::string device = device_record(dev, &name);
  CUDA_CHECK(cudaDeviceGetAttribute(&c.sms, cudaDevAttrMultiProcessorCount, dev));
  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  c.memory_budget = free_bytes / 10 * 7;
  Harness harness;
  c.harness = &harness;
  CUBLAS_CHECK(cublasCreate(&c.blas));
  CUBLAS_CHECK(cublasLtCreate(&c.lt));
  c.workspace_bytes = size_t(64) << 20;  // cuBLAS recommends 32 MiB on Hopper; twice that leaves no algorithm out
  CUDA_CHECK(cudaMalloc(&c.workspace, c.workspace_bytes));
  CUBLAS_CHECK(cublasSetWorkspace(c.blas, c.workspace, c.workspace_bytes));

  run_gemm_benchmarks(c);
  run_attention_benchmarks(c);
  run_hbm_copy(c);
  run_h2d_copy(c);

  std::time_t now = std::time(nullptr);
  char date[32], stamp[64];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string path = out_dir + "/" + slug(name) + "-" + date + ".json";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return 3;
  }
  bool all_ok = true;
  std::fprintf(
      f, "{\n  \"kind\": \"measurement\",\n  \"date\": \"%s\",\n  \"quick\": %s,\n  \"device\": %s,\n  \"points\": [",
      stamp, c.quick ? "true" : "false", device.c_str());
  const auto& ps = points();
  for (size_t i = 0; i < ps.size(); ++i) {
    const Point& p = ps[i];
    all_ok = all_ok && p.check.ok;
    Fields f2;
    f2.text("family", p.family);
    std::string line = "{" + f2.body() + ", \"shape\": " + p.shape;
    Fields t;
    t.num("min_s", p.timing.min_s).num("median_s", p.timing.median_s).num("p90_s", p.timing.p90_s);
    t.num("samples", p.timing.samples).text("check", p.check.ok ? "pass" : "fail");
    if (!p.check.detail.empty()) t.text("check_detail", p.check.detail);
    line += ", " + t.body();
    if (!p.extra.empty()) line += ", " + p.extra;
    line += "}";
    std::fprintf(f, "%s\n    %s", i ? "," : "", line.c_str());
  }
  std::fprintf(f, "\n  ]\n}\n");
  std::fclose(f);
  std::printf("%s\n", path.c_str());
  if (!all_ok) std::fprintf(stderr, "some kernels failed their reference check (see \"check\" in %s)\n", path.c_str());
  cublasLtDestroy(c.lt);
  cublasDestroy(c.blas);
  return all_ok ? 0 : 1;
}
