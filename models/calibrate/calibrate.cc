// Comparing measurement files with the cost model (calibrate.h).
#include "models/calibrate/calibrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/cost/gemm.h"
#include "models/cost/kernels.h"

namespace moesim::calibrate {

using hardware::Measurement;
using hardware::MeasurementFile;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double shape_num(const Measurement& m, const char* key) { return m.shape.at(key).get<double>(); }

std::string predictor_name(std::string_view family) {
  if (family == "gemm_fp8") return "GemmModel::dense_s";
  if (family == "gemm_bf16") return "GemmModel::bf16_s";
  if (family == "grouped_gemm") return "GemmModel::grouped_s";
  if (family == "mla_decode") return "KernelModel::decode_attention_s";
  if (family == "prefill_attention") return "KernelModel::prefill_attention_s";
  if (family == "hbm_copy") return "bytes moved / spec HBM bandwidth";
  return "none";
}

}  // namespace

bool Report::passed() const {
  if (failed_checks > 0) return false;
  return std::all_of(families.begin(), families.end(), [](const FamilyResult& f) { return f.within_budget; });
}

Report compare(const MeasurementFile& file, const hardware::Hardware& hw, const llm::ModelSpec& model) {
  cost::GemmModel gemm(hw);
  cost::KernelModel kernels(hw, model);
  Report report;
  report.hardware = hw.name;
  int sms = file.sms;
  const auto& mla = model.attention.mla;
  int model_dk = mla.kv_lora_rank + mla.qk_rope_head_dim;
  for (const Measurement& m : file.points) {
    PointResult r;
    r.measurement = &m;
    const std::string& f = m.family;
    std::optional<double> p;
    if (f == "gemm_fp8") {
      p = gemm.dense_s(shape_num(m, "m"), shape_num(m, "n"), shape_num(m, "k"), sms);
    } else if (f == "gemm_bf16") {
      p = gemm.bf16_s(shape_num(m, "m"), shape_num(m, "n"), shape_num(m, "k"), sms);
    } else if (f == "grouped_gemm") {
      auto layout = m.shape.at("layout") == "masked" ? cost::GemmLayout::kMasked : cost::GemmLayout::kContiguous;
      p = gemm.grouped_s(layout, shape_num(m, "groups"), shape_num(m, "m_per_group"), shape_num(m, "n"),
                         shape_num(m, "k"), sms);
    } else if (f == "mla_decode") {
      if (shape_num(m, "heads") == model.attention.heads && shape_num(m, "dk") == model_dk &&
          shape_num(m, "dv") == mla.kv_lora_rank) {
        double batch = shape_num(m, "batch");
        p = kernels.decode_attention_s(batch, batch * shape_num(m, "kv_len"), 1, sms);
      } else {
        r.note = "shape differs from the model's MLA (heads, dk, dv): not predicted";
      }
    } else if (f == "prefill_attention") {
      if (shape_num(m, "heads") == model.attention.heads &&
          shape_num(m, "dk") == mla.qk_nope_head_dim + mla.qk_rope_head_dim &&
          shape_num(m, "dv") == mla.v_head_dim) {
        p = kernels.prefill_attention_s(shape_num(m, "pairs"), sms);
      } else {
        r.note = "shape differs from the model's attention (heads, dk, dv): not predicted";
      }
    } else if (f == "hbm_copy") {
      p = m.bytes_moved / hw.gpu.hbm_bytes_per_s;
    }
    if (!m.check_passed) {
      r.note = "failed its reference check: not compared";
      p.reset();
    }
    if (p) {
      r.predicted_s = *p;
      r.ratio = *p / m.median_s;
    }
    report.points.push_back(r);
  }
  for (std::string_view family : hardware::kMeasurementFamilies) {
    FamilyResult fr;
    fr.family = family;
    fr.predictor = predictor_name(family);
    std::vector<double> errors;
    for (const PointResult& r : report.points) {
      if (r.measurement->family != family) continue;
      ++fr.points;
      if (!r.measurement->check_passed) ++fr.failed_checks;
      if (r.predicted_s) errors.push_back(std::fabs(r.ratio - 1));
    }
    if (fr.points == 0) continue;
    fr.compared = static_cast<int>(errors.size());
    if (!errors.empty()) {
      fr.median_error = median(errors);
      fr.worst_error = *std::max_element(errors.begin(), errors.end());
      fr.within_budget = fr.median_error <= kErrorBudget;
    }
    report.failed_checks += fr.failed_checks;
    report.families.push_back(fr);
  }
  return report;
}

std::string format_text(const MeasurementFile& file, const Report& report) {
  std::string out = fmt::format("{} ({}): {} points on {}, {} SMs; model: hardware spec {}\n", file.file, file.kind,
                                file.points.size(), file.device_name, file.sms, report.hardware);
  if (file.kind == "sample") out += "NOTE: a synthetic sample file, not a measurement: the errors below mean nothing\n";
  out += fmt::format("{:<18} {:<60} {:>12} {:>12} {:>7}\n", "family", "shape", "measured us", "model us", "ratio");
  for (const PointResult& r : report.points) {
    const Measurement& m = *r.measurement;
    std::string shape = m.shape.dump();
    if (!m.scaling.empty() && m.scaling != "none") shape += " " + m.scaling;
    out += fmt::format("{:<18} {:<60} {:>12.2f} {:>12} {:>7}{}\n", m.family, shape, m.median_s * 1e6,
                       r.predicted_s ? fmt::format("{:.2f}", *r.predicted_s * 1e6) : "-",
                       r.predicted_s ? fmt::format("{:.3f}", r.ratio) : "-", r.note.empty() ? "" : "  " + r.note);
  }
  out += fmt::format("\nper family (error = |model / measured - 1|, budget {:.0f} % on the median):\n",
                     kErrorBudget * 100);
  for (const FamilyResult& f : report.families) {
    if (f.compared == 0) {
      out += fmt::format("{:<18} {} points: no prediction ({}){}\n", f.family, f.points, f.predictor,
                         f.failed_checks ? fmt::format(", {} failed checks", f.failed_checks) : "");
      continue;
    }
    out += fmt::format("{:<18} {} points: median error {:.1f} %, worst {:.1f} % ({}){}{}\n", f.family, f.compared,
                       f.median_error * 100, f.worst_error * 100, f.predictor, f.within_budget ? "" : "  OVER BUDGET",
                       f.failed_checks ? fmt::format(", {} failed checks", f.failed_checks) : "");
  }
  out += report.passed() ? "calibration: pass\n" : "calibration: FAIL\n";
  return out;
}

nlohmann::json to_json(const MeasurementFile& file, const Report& report) {
  nlohmann::json j;
  j["file"] = file.file;
  j["kind"] = file.kind;
  j["device"] = file.device_name;
  j["hardware"] = report.hardware;
  j["error_budget"] = kErrorBudget;
  j["points"] = nlohmann::json::array();
  for (const PointResult& r : report.points) {
    nlohmann::json p{{"family", r.measurement->family},
                     {"shape", r.measurement->shape},
                     {"measured_s", r.measurement->median_s},
                     {"check", r.measurement->check_passed ? "pass" : "fail"}};
    p["predicted_s"] = r.predicted_s ? nlohmann::json(*r.predicted_s) : nlohmann::json(nullptr);
    p["ratio"] = r.predicted_s ? nlohmann::json(r.ratio) : nlohmann::json(nullptr);
    if (!r.note.empty()) p["note"] = r.note;
    j["points"].push_back(p);
  }
  j["families"] = nlohmann::json::array();
  for (const FamilyResult& f : report.families) {
    nlohmann::json fj{{"family", f.family},
                      {"predictor", f.predictor},
                      {"points", f.points},
                      {"compared", f.compared},
                      {"failed_checks", f.failed_checks}};
    fj["median_error"] = f.compared ? nlohmann::json(f.median_error) : nlohmann::json(nullptr);
    fj["worst_error"] = f.compared ? nlohmann::json(f.worst_error) : nlohmann::json(nullptr);
    fj["within_budget"] = f.within_budget;
    j["families"].push_back(fj);
  }
  j["passed"] = report.passed();
  return j;
}

}  // namespace moesim::calibrate
