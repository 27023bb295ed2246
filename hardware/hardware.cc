#include "hardware/hardware.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/paths.h"

namespace moesim::hardware {

namespace {

// Every calibration number carries its source: {"value": x, "source": "..."}.
double sourced(JsonReader& r, std::string_view key, Range range) { return r.sourced_number(key, range); }

std::string sourced_text(JsonReader& r, std::string_view key) {
  auto field = r.object(key);
  std::string v = field.string("value");
  field.string("source");
  field.finish();
  return v;
}

const Range kPositive{0.0, 1e30, true, "a positive number"};

GpuSpec parse_gpu(JsonReader r, Architecture architecture) {
  GpuSpec g;
  g.model = sourced_text(r, "model");
  g.architecture = architecture;
  g.sms = static_cast<int>(sourced(r, "sms", {1, 10000, false, "a positive number of SMs"}));
  g.hbm_bytes = sourced(r, "hbm_bytes", kPositive);
  g.hbm_bytes_per_s = sourced(r, "hbm_bytes_per_s", kPositive);
  g.bf16_flops = sourced(r, "bf16_flops", kPositive);
  g.fp8_flops = sourced(r, "fp8_flops", kPositive);
  if (r.has("fp4_flops")) {
    if (architecture != Architecture::kBlackwell) r.fail("fp4_flops", "only Blackwell tensor cores run FP4");
    g.fp4_flops = sourced(r, "fp4_flops", kPositive);
  }
  g.boost_clock_mhz = sourced(r, "boost_clock_mhz", kPositive);
  g.sustained_clock_mhz = sourced(r, "sustained_clock_mhz", kPositive);
  r.finish();
  return g;
}

NodeSpec parse_node(JsonReader r) {
  NodeSpec n;
  n.gpus = static_cast<int>(sourced(r, "gpus", {1, 64, false, "a number of GPUs in [1, 64]"}));
  n.nvlink_bytes_per_s = sourced(r, "nvlink_bytes_per_s", kPositive);
  n.nvlink_domain_gpus =
      static_cast<int>(sourced(r, "nvlink_domain_gpus", {1, 1024, false, "a number of GPUs in [1, 1024]"}));
  if (n.nvlink_domain_gpus % n.gpus != 0) {
    r.fail("nvlink_domain_gpus", fmt::format("{} is not a whole number of {}-GPU nodes", n.nvlink_domain_gpus, n.gpus));
  }
  n.nics = static_cast<int>(sourced(r, "nics", {1, 64, false, "a number of NICs in [1, 64]"}));
  n.nic_bytes_per_s = sourced(r, "nic_bytes_per_s", kPositive);
  n.kv_cache_read_bytes_per_s = sourced(r, "kv_cache_read_bytes_per_s", kPositive);
  n.usd_per_gpu_hour = sourced(r, "usd_per_gpu_hour", kPositive);
  r.finish();
  return n;
}

HardwareSpec parse_spec(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  HardwareSpec s;
  s.file = file;
  s.name = r.string("name");
  s.about = r.string_or("about", "");
  s.kernel_tables = r.string("kernel_tables");
  auto arch = r.object("architecture");
  auto architecture = arch.choice("value", {"hopper", "blackwell"}) == "hopper" ? Architecture::kHopper
                                                                                 : Architecture::kBlackwell;
  arch.string("source");
  arch.finish();
  s.gpu = parse_gpu(r.object("gpu"), architecture);
  s.node = parse_node(r.object("node"));
  r.finish();
  return s;
}

std::vector<GemmPoint> parse_gemm_rows(JsonReader& r, std::string_view key, bool grouped) {
  std::vector<GemmPoint> out;
  auto rows = r.objects(key);
  if (rows.empty()) r.fail(key, "empty series");
  for (auto& row : rows) {
    GemmPoint p;
    if (grouped) {
      p.groups = static_cast<int>(row.integer("groups", IntRange::positive()));
      p.m = static_cast<double>(row.integer("m_per_group", IntRange::positive()));
    } else {
      p.m = static_cast<double>(row.integer("m", IntRange::positive()));
    }
    p.n = static_cast<double>(row.integer("n", IntRange::positive()));
    p.k = static_cast<double>(row.integer("k", IntRange::positive()));
    p.tflops = row.number("tflops", kPositive);
    p.gbps = row.number("gbps", kPositive);
    row.string("source");
    row.finish();
    out.push_back(p);
  }
  if (!grouped) {
    // Per (n, k) series, in rows order: m must increase and the time must not fall (a bigger GEMM never runs
    // faster); a violation is almost always a typo.
    std::map<std::pair<double, double>, const GemmPoint*> last;
    for (size_t i = 0; i < out.size(); ++i) {
      auto& prev = last[{out[i].n, out[i].k}];
      if (prev != nullptr && (out[i].m <= prev->m || out[i].seconds() < prev->seconds())) {
        r.fail(fmt::format("{}[{}]", key, i), "series not monotonic: m must increase and time must not decrease");
      }
      prev = &out[i];
    }
  }
  return out;
}

GemmTables parse_gemm(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  r.string_or("about", "");
  r.string("gpu");
  r.string("source");
  GemmTables t;
  t.dense = parse_gemm_rows(r, "dense", false);
  t.contiguous = parse_gemm_rows(r, "grouped_contiguous", true);
  t.masked = parse_gemm_rows(r, "grouped_masked", true);
  r.finish();
  return t;
}

FlashMlaTable parse_flashmla(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  r.string_or("about", "");
  r.string("gpu");
  r.string("source");
  FlashMlaTable t;
  t.memory_bound_bytes_per_s = sourced(r, "memory_bound_bytes_per_s", kPositive);
  t.compute_bound_flops = sourced(r, "compute_bound_flops", kPositive);
  r.finish();
  return t;
}

DeepEpTables parse_deepep(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  r.string_or("about", "");
  r.string("gpu");
  r.string("source");
  DeepEpTables t;
  auto normal = r.object("normal");
  normal.integer("tokens_per_batch", IntRange::positive());
  auto normal_rows = normal.objects("rows");
  if (normal_rows.empty()) normal.fail("rows", "empty series");
  for (auto& row : normal_rows) {
    DeepEpNormalRow n;
    n.intranode = row.choice("kind", {"intranode", "internode"}) == "intranode";
    n.ep = static_cast<int>(row.integer("ep", IntRange::positive()));
    n.dispatch_bytes_per_s = row.number("dispatch_gbps", kPositive) * 1e9;
    n.combine_bytes_per_s = row.number("combine_gbps", kPositive) * 1e9;
    row.string("source");
    row.finish();
    if (!t.normal.empty() && n.ep <= t.normal.back().ep) row.fail("ep", "series not monotonic: ep must increase");
    t.normal.push_back(n);
  }
  normal.finish();
  auto ll = r.object("low_latency");
  ll.integer("tokens_per_batch", IntRange::positive());
  auto ll_rows = ll.objects("rows");
  if (ll_rows.empty()) ll.fail("rows", "empty series");
  for (auto& row : ll_rows) {
    DeepEpLowLatencyRow l;
    l.ep = static_cast<int>(row.integer("ep", IntRange::positive()));
    l.dispatch_s = row.number("dispatch_us", kPositive) * 1e-6;
    l.dispatch_bytes_per_s = row.number("dispatch_gbps", kPositive) * 1e9;
    l.combine_s = row.number("combine_us", kPositive) * 1e-6;
    l.combine_bytes_per_s = row.number("combine_gbps", kPositive) * 1e9;
    row.string("source");
    row.finish();
    if (!t.low_latency.empty() && l.ep <= t.low_latency.back().ep)
      row.fail("ep", "series not monotonic: ep must increase");
    t.low_latency.push_back(l);
  }
  ll.finish();
  t.normal_kernel_sms = static_cast<int>(sourced(r, "normal_kernel_sms", {1, 1000, false, "a number of SMs"}));
  r.finish();
  return t;
}

TrainingProfile parse_profile(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  r.string_or("about", "");
  r.string("gpu");
  r.string("source");
  TrainingProfile p;
  p.tokens = static_cast<int>(r.integer("tokens", IntRange::positive()));
  p.gemm_sms = static_cast<int>(r.integer("gemm_sms", IntRange::positive()));
  p.ep = static_cast<int>(r.integer("ep", IntRange::positive()));
  for (auto& row : r.objects("kernels")) {
    ProfileKernel k;
    k.name = row.string("name");
    k.seconds = row.number("us", kPositive) * 1e-6;
    k.use = row.choice("use", {"elementwise", "calibration", "validation"});
    row.string("source");
    if (k.use == "elementwise") k.per = row.choice("per", {"token", "routed_row"});
    if (row.has("gemm")) {
      auto g = row.object("gemm");
      k.gemm.m = g.number("m", kPositive);
      k.gemm.n = g.number("n", kPositive);
      k.gemm.k = g.number("k", kPositive);
      g.finish();
    }
    if (row.has("grouped")) {
      auto g = row.object("grouped");
      k.grouped = true;
      k.gemm.groups = static_cast<int>(g.integer("groups", IntRange::positive()));
      k.gemm.m = g.number("m_per_group", kPositive);
      k.gemm.n = g.number("n", kPositive);
      k.gemm.k = g.number("k", kPositive);
      g.finish();
    }
    if (k.use == "calibration") {
      row.integer("causal_seq", IntRange::positive());
      row.integer("heads", IntRange::positive());
      row.integer("qk_dim", IntRange::positive());
      row.integer("v_dim", IntRange::positive());
    }
    row.finish();
    p.kernels.push_back(k);
  }
  r.finish();
  return p;
}

InferenceProfiles parse_inference_profiles(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  r.string_or("about", "");
  r.string("gpu");
  r.string("source");
  InferenceProfiles p;
  auto step = r.object("step");
  auto us = [&](std::string_view key) { return sourced(step, key, kPositive) * 1e-6; };
  p.step.decode_tokens_per_micro_batch = sourced(step, "decode_tokens_per_micro_batch", kPositive);
  p.step.decode_send_dispatch_s = us("decode_send_dispatch_us");
  p.step.decode_send_combine_s = us("decode_send_combine_us");
  p.step.decode_receive_s = us("decode_receive_us");
  p.step.decode_graph_gap_per_slot_s = us("decode_graph_gap_per_slot_us");
  p.step.decode_outside_graph_s = us("decode_outside_graph_us");
  p.step.decode_first_dispatch_wait_s = us("decode_first_dispatch_wait_us");
  p.step.prefill_notify_s = us("prefill_notify_us");
  step.finish();
  for (auto& row : r.objects("kernels")) {
    ProfileMeasurement k;
    k.profile = row.choice("profile", {"prefill", "decode"});
    k.name = row.string("name");
    k.family = row.choice("family", {"dense_gemm", "batched_gemm", "grouped_contiguous", "grouped_masked",
                                     "prefill_attention", "decode_attention", "elementwise", "router"});
    k.seconds = row.number("us", kPositive) * 1e-6;
    row.string("source");
    row.string_or("note", "");
    if (k.family == "dense_gemm" || k.family == "batched_gemm" || k.family == "grouped_contiguous" ||
        k.family == "grouped_masked") {
      bool grouped = k.family == "grouped_contiguous" || k.family == "grouped_masked";
      k.gemm.groups = grouped ? static_cast<int>(row.integer("groups", IntRange::positive())) : 1;
      k.gemm.m = row.number(grouped ? "m_per_group" : "m", kPositive);
      k.gemm.n = row.number("n", kPositive);
      k.gemm.k = row.number("k", kPositive);
      if (!grouped) {
        if (k.family == "batched_gemm") k.batch = static_cast<int>(row.integer("batch", IntRange::positive()));
      }
    } else if (k.family == "prefill_attention") {
      k.pairs = row.number("pairs", kPositive);
    } else if (k.family == "decode_attention") {
      k.sequences = row.number("sequences", kPositive);
      k.kv_tokens = row.number("kv_tokens", kPositive);
      k.query_per_seq = static_cast<int>(row.integer("query_per_seq", {1, 8, "1 to 8 query tokens"}));
    } else {
      // The model's layer operators the row times (checked against the model where it is fitted).
      for (const auto& name : row.raw("operators")) {
        if (!name.is_string()) row.fail("operators", "must be an array of layer operator names");
        k.operators.push_back(name.get<std::string>());
      }
      if (k.operators.empty()) row.fail("operators", "must name at least one layer operator");
      k.units = row.number("units", kPositive);
    }
    if (k.family != "elementwise") k.sms = static_cast<int>(row.integer("sms", {1, 1000, "a number of SMs"}));
    row.finish();
    p.kernels.push_back(std::move(k));
  }
  r.finish();
  return p;
}

}  // namespace

const ProfileKernel& TrainingProfile::kernel(std::string_view name) const {
  for (const auto& k : kernels) {
    if (k.name == name) return k;
  }
  throw InputError(fmt::format("training profile: no kernel named \"{}\"", name));
}

double Hardware::carry_factor(Bound bound) const {
  switch (bound) {
    case Bound::kCompute:
      // Per SM: the callers give the SMs a kernel runs on, so the whole-GPU peak would count the SMs twice.
      return (tables_gpu_spec.fp8_flops / tables_gpu_spec.sms) / (gpu.fp8_flops / gpu.sms);
    case Bound::kHbm:
      return tables_gpu_spec.hbm_bytes_per_s / gpu.hbm_bytes_per_s;
    case Bound::kNvlink:
      return tables_node_spec.nvlink_bytes_per_s / node.nvlink_bytes_per_s;
    case Bound::kNic:
      return tables_node_spec.nic_bytes_per_s / node.nic_bytes_per_s;
  }
  return 1.0;
}

Hardware load_hardware_files(const std::filesystem::path& spec_file, const std::filesystem::path& tables_dir) {
  HardwareSpec spec = parse_spec(spec_file);
  Hardware hw;
  hw.name = spec.name;
  hw.gpu = spec.gpu;
  hw.node = spec.node;
  hw.tables_gpu = spec.kernel_tables;
  auto tables_spec_file = spec_file.parent_path() / (spec.kernel_tables + ".json");
  if (spec.kernel_tables == spec.name) {
    hw.tables_gpu_spec = spec.gpu;
    hw.tables_node_spec = spec.node;
  } else {
    if (!file_exists(tables_spec_file)) {
      throw InputError(
          fmt::format("{}: kernel_tables: no spec for \"{}\"", spec_file.string(), spec.kernel_tables));
    }
    HardwareSpec base = parse_spec(tables_spec_file);
    hw.tables_gpu_spec = base.gpu;
    hw.tables_node_spec = base.node;
  }
  for (std::string_view kind : kTableKinds) {
    load_table_file(hw, kind, tables_dir / fmt::format("{}-{}.json", spec.kernel_tables, kind));
  }
  return hw;
}

void load_table_file(Hardware& hw, std::string_view kind, const std::filesystem::path& file) {
  if (kind == "deepgemm") {
    hw.gemm = parse_gemm(file);
  } else if (kind == "flashmla") {
    hw.flashmla = parse_flashmla(file);
  } else if (kind == "deepep") {
    hw.deepep = parse_deepep(file);
  } else if (kind == "training-profile") {
    hw.profile = parse_profile(file);
  } else if (kind == "inference-profiles") {
    hw.inference = parse_inference_profiles(file);
  } else {
    throw std::invalid_argument(fmt::format("load_table_file: no table kind \"{}\"", kind));
  }
}

std::vector<std::string> hardware_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_path("hardware/specs"), ec)) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

std::filesystem::path spec_file(std::string_view name) {
  auto file = data_path("hardware/specs") / (std::string(name) + ".json");
  if (!file_exists(file)) {
    std::string known;
    for (const auto& n : hardware_names()) known += (known.empty() ? "" : ", ") + n;
    throw InputError(fmt::format("unknown hardware \"{}\" (known: {})", name, known));
  }
  return file;
}

}  // namespace

Hardware load_hardware(std::string_view name) {
  return load_hardware_files(spec_file(name), data_path("hardware/tables"));
}

NodeSpec load_node_spec(std::string_view name) { return parse_spec(spec_file(name)).node; }

HardwareSpec load_hardware_spec(std::string_view name) { return parse_spec(spec_file(name)); }

std::string hardware_help() {
  std::string out;
  for (const auto& n : hardware_names()) out += (out.empty() ? "" : " | ") + n;
  return out;
}

Precision compute_precision(Precision storage, const GpuSpec& gpu) {
  if (is_fp4(storage)) return gpu.fp4_flops > 0 ? storage : Precision::kBf16;
  return storage;
}

double peak_flops(const GpuSpec& gpu, Precision compute) {
  switch (compute) {
    case Precision::kBf16:
      return gpu.bf16_flops;
    case Precision::kFp8:
      return gpu.fp8_flops;
    case Precision::kNvfp4:
    case Precision::kMxfp4:
      if (gpu.fp4_flops > 0) return gpu.fp4_flops;
      break;
  }
  throw InputError(fmt::format("{} has no {} tensor cores", gpu.model, precision_name(compute)));
}

std::string_view architecture_name(Architecture a) { return a == Architecture::kHopper ? "hopper" : "blackwell"; }

}  // namespace moesim::hardware
