// Reading measurement files strictly (measurements.h).
#include "hardware/measurements.h"

#include <fmt/format.h>

#include <cctype>

#include "common/json_reader.h"

namespace moesim::hardware {
namespace {

// Reads the shape keys of a family strictly (ranges and unknown keys) and keeps the object.
void read_shape(JsonReader& point, Measurement& m) {
  JsonReader s = point.object("shape");
  auto pos = Range::positive();
  auto ipos = IntRange::positive();
  if (m.family == "gemm_fp8" || m.family == "gemm_bf16") {
    s.integer("m", ipos), s.integer("n", ipos), s.integer("k", ipos);
  } else if (m.family == "grouped_gemm") {
    s.integer("groups", ipos), s.integer("m_per_group", ipos), s.integer("n", ipos), s.integer("k", ipos);
    s.choice("layout", {"contiguous", "masked"});
  } else if (m.family == "mla_decode") {
    s.integer("batch", ipos), s.integer("kv_len", ipos), s.integer("heads", ipos), s.integer("dk", ipos);
    s.integer("dv", ipos);
  } else if (m.family == "prefill_attention") {
    s.integer("heads", ipos), s.integer("seq_len", ipos), s.integer("dk", ipos), s.integer("dv", ipos);
    s.boolean("causal"), s.number("pairs", pos);
  } else if (m.family == "hbm_copy") {
    s.number("bytes", pos);
  } else {
    s.number("bytes", pos), s.boolean_or("pinned", true);
  }
  s.finish();
  m.shape = s.node();
}

Measurement read_point(JsonReader& p, size_t index) {
  Measurement m;
  m.where = fmt::format("{}: {}", p.file(), p.path());
  m.family = p.choice(
      "family", {"gemm_fp8", "gemm_bf16", "grouped_gemm", "mla_decode", "prefill_attention", "hbm_copy", "h2d_copy"});
  read_shape(p, m);
  m.check_passed = p.choice("check", {"pass", "fail"}) == "pass";
  p.string_or("check_detail", "");
  // A point that failed its check may carry no time (e.g. no cuBLASLt algorithm); a passed one must have one.
  Range time = m.check_passed ? Range::positive() : Range::non_negative();
  m.min_s = p.number("min_s", time);
  m.median_s = p.number("median_s", time);
  m.p90_s = p.number("p90_s", time);
  if (m.min_s > m.median_s || m.median_s > m.p90_s)
    p.fail("median_s", fmt::format("expected min_s <= median_s <= p90_s, got {} {} {}", m.min_s, m.median_s, m.p90_s));
  p.integer_or("samples", 0, IntRange::non_negative());
  if (m.family == "gemm_fp8" || m.family == "grouped_gemm")
    m.scaling = p.choice("scaling", {"block128", "per_tensor"});
  else if (m.family == "gemm_bf16")
    m.scaling = p.choice_or("scaling", "none", {"none"});
  if (m.family.find("gemm") != std::string::npos) p.string_or("library", "");
  if (m.family == "mla_decode" || m.family == "prefill_attention") p.string("method");
  if (m.family == "hbm_copy") m.bytes_moved = p.number("bytes_moved", Range::positive());
  p.finish();
  (void)index;
  return m;
}

}  // namespace

MeasurementFile read_measurements(const std::filesystem::path& path) {
  nlohmann::json root = load_json_file(path);
  MeasurementFile f;
  f.file = path.string();
  JsonReader r(root, f.file);
  f.kind = r.choice("kind", {"measurement", "sample"});
  r.string_or("date", ""), r.boolean_or("quick", false), r.string_or("note", "");
  JsonReader d = r.object("device");
  f.device_name = d.string("name");
  f.sms = static_cast<int>(d.integer("sms", IntRange::positive()));
  d.string_or("compute_capability", "");
  for (const char* key : {"max_sm_clock_mhz", "max_memory_clock_mhz", "memory_bus_bits", "memory_bytes", "l2_bytes",
                          "driver_version", "cuda_runtime_version", "cublas_version"})
    d.number_or(key, 0, Range::non_negative());
  d.finish();
  auto points = r.objects("points");
  for (size_t i = 0; i < points.size(); ++i) f.points.push_back(read_point(points[i], i));
  r.finish();
  return f;
}

std::string hardware_for_device(const std::string& device_name) {
  std::string lower;
  for (char ch : device_name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* name : {"h100", "h200", "h800"})
    if (lower.find(name) != std::string::npos) return name;
  return "";
}

}  // namespace moesim::hardware
