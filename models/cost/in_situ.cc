#include "models/cost/in_situ.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/cost/fit_error.h"
#include "models/cost/gemm.h"
#include "models/cost/kernels.h"

namespace moesim::cost {

namespace {

constexpr std::array<std::string_view, kNumKernelFamilies> kFamilyNames = {
    "dense_gemm",        "batched_gemm",     "grouped_contiguous", "grouped_masked",
    "prefill_attention", "decode_attention", "elementwise",        "router"};

// The same hardware as seen on the GPU its tables were measured on: every carry factor is 1.
hardware::Hardware on_tables_gpu(const hardware::Hardware& hw) {
  hardware::Hardware h = hw;
  h.name = hw.tables_gpu;
  h.gpu = hw.tables_gpu_spec;
  h.node = hw.tables_node_spec;
  return h;
}

// The base table's time for a profile kernel's shape, priced as UnitStepModel prices the same operator.
double base_seconds(const hardware::ProfileMeasurement& k, const GemmModel& gemm, const KernelModel& kernels,
                    const llm::ModelSpec& model) {
  switch (family_from_name(k.family)) {
    case KernelFamily::kDenseGemm:
      return gemm.dense_s(k.gemm.m, k.gemm.n, k.gemm.k, k.sms);
    case KernelFamily::kBatchedGemm:
      return gemm.batched_bf16_roofline_s(k.gemm.m, k.batch, k.gemm.n, k.gemm.k, k.sms) + gemm.form().launch_s;
    case KernelFamily::kGroupedContiguous:
      return gemm.grouped_s(GemmLayout::kContiguous, k.gemm.groups, k.gemm.m, k.gemm.n, k.gemm.k, k.sms);
    case KernelFamily::kGroupedMasked:
      return gemm.grouped_s(GemmLayout::kMasked, k.gemm.groups, k.gemm.m, k.gemm.n, k.gemm.k, k.sms);
    case KernelFamily::kPrefillAttention:
      return kernels.prefill_attention_s(k.pairs, k.sms);
    case KernelFamily::kDecodeAttention:
      return kernels.decode_attention_s(k.sequences, k.kv_tokens, k.query_per_seq, k.sms);
    case KernelFamily::kElementwise:
    case KernelFamily::kRouter: {
      double s = 0;
      for (const auto& op : profile_row_operators(k, model)) {
        s += kernels.elementwise_s(op, k.units);
        if (op.kind == llm::OpKind::kRouter) s += gemm.bf16_s(k.units, op.n, op.k, k.sms);
      }
      return s;
    }
  }
  return 0.0;
}

}  // namespace

const llm::ModelSpec& profile_model() {
  static const llm::ModelSpec model = llm::load_model("deepseek-v3");
  return model;
}

std::string_view family_name(KernelFamily family) { return kFamilyNames[static_cast<int>(family)]; }

KernelFamily family_from_name(std::string_view name) {
  for (int i = 0; i < kNumKernelFamilies; ++i) {
    if (kFamilyNames[i] == name) return static_cast<KernelFamily>(i);
  }
  throw std::invalid_argument(fmt::format("unknown kernel family \"{}\"", name));
}

double fit_efficiency(const std::vector<double>& measured, const std::vector<double>& base) {
  if (measured.empty() || measured.size() != base.size()) {
    throw std::invalid_argument("fit_efficiency: need as many base times as measured times, at least one");
  }
  // Relative residuals base_i x / measured_i - 1 are linear in x = 1 / efficiency.
  const auto n = static_cast<Eigen::Index>(measured.size());
  Eigen::MatrixXd a(n, 1);
  Eigen::VectorXd y = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(measured[i] > 0) || !(base[i] > 0)) throw std::invalid_argument("fit_efficiency: times must be positive");
    a(i, 0) = base[i] / measured[i];
  }
  const double x = a.colPivHouseholderQr().solve(y)(0);
  return 1.0 / x;
}

InSituFit fit_in_situ(const hardware::Hardware& hw, const llm::ModelSpec& model) {
  const hardware::Hardware tables = on_tables_gpu(hw);
  const GemmModel gemm(tables);
  const KernelModel kernels(tables, model);

  InSituFit fit;
  for (const auto& k : hw.inference.kernels) {
    fit.points.push_back(
        {k.profile, k.name, family_from_name(k.family), k.seconds, base_seconds(k, gemm, kernels, model), 0});
  }
  // The training profile's GEMMs (forward MoE layers, 112 SMs).
  for (const auto& k : hw.profile.kernels) {
    if (k.use != "validation") continue;
    hardware::ProfileMeasurement m;
    m.family = k.grouped ? "grouped_contiguous" : "dense_gemm";
    m.gemm = k.gemm;
    m.sms = hw.profile.gemm_sms;
    fit.points.push_back(
        {"training", k.name, family_from_name(m.family), k.seconds, base_seconds(m, gemm, kernels, model), 0});
  }

  for (int f = 0; f < kNumKernelFamilies; ++f) {
    FamilyFit& ff = fit.families[f];
    ff.family = static_cast<KernelFamily>(f);
    std::vector<double> measured, base;
    for (const auto& p : fit.points) {
      if (p.family != ff.family) continue;
      measured.push_back(p.measured_s);
      base.push_back(p.base_s);
      if (std::find(ff.profiles.begin(), ff.profiles.end(), p.profile) == ff.profiles.end()) {
        ff.profiles.push_back(p.profile);
      }
    }
    ff.points = static_cast<int>(measured.size());
    if (measured.empty()) continue;
    ff.efficiency = fit_efficiency(measured, base);
    std::vector<double> errors;
    for (auto& p : fit.points) {
      if (p.family != ff.family) continue;
      p.fitted_s = p.base_s / ff.efficiency;
      errors.push_back(p.error());
      ff.max_error = std::max(ff.max_error, std::abs(p.error()));
    }
    ff.rms_error = rms(errors);
    if (ff.profiles.size() < 2) continue;
    for (const auto& left_out : ff.profiles) {
      std::vector<double> m_in, b_in, held;
      for (const auto& p : fit.points) {
        if (p.family != ff.family) continue;
        if (p.profile == left_out) continue;
        m_in.push_back(p.measured_s);
        b_in.push_back(p.base_s);
      }
      double e = fit_efficiency(m_in, b_in);
      for (const auto& p : fit.points) {
        if (p.family == ff.family && p.profile == left_out) held.push_back(p.base_s / e / p.measured_s - 1.0);
      }
      ff.leave_one_profile_out.push_back({left_out, e, rms(held)});
    }
  }
  for (const auto& p : fit.points) {
    auto it = std::find_if(fit.profiles.begin(), fit.profiles.end(),
                           [&](const ProfileTotal& t) { return t.profile == p.profile; });
    if (it == fit.profiles.end()) it = fit.profiles.insert(fit.profiles.end(), ProfileTotal{p.profile, 0, 0});
    it->measured_s += p.measured_s;
    it->fitted_s += p.fitted_s;
  }
  return fit;
}

}  // namespace moesim::cost
