// moesim fit: the in-situ kernel efficiencies fitted to DeepSeek's profiles (models/cost/in_situ.h), per family
// with its in-fit and leave-one-profile-out errors, and every profile kernel beside the model; --json for tools.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/paths.h"
#include "hardware/hardware.h"
#include "models/cost/gemm.h"
#include "models/cost/in_situ.h"
#include "models/cost/kernels.h"
#include "models/llm/model.h"
#include "tools/commands.h"

namespace moesim::tools {

namespace {

struct FitOptions {
  std::string hardware = "h800";
  bool json = false;
  bool gemm_rows = false;
};

nlohmann::json fit_json(const cost::InSituFit& fit) {
  nlohmann::json families = nlohmann::json::array();
  for (const auto& f : fit.families) {
    nlohmann::json loo = nlohmann::json::array();
    for (const auto& l : f.leave_one_profile_out)
      loo.push_back({{"left_out", l.profile}, {"efficiency", l.efficiency}, {"rms_error", l.rms_error}});
    families.push_back({{"family", std::string(cost::family_name(f.family))},
                        {"efficiency", f.efficiency},
                        {"points", f.points},
                        {"profiles", f.profiles},
                        {"rms_error", f.rms_error},
                        {"max_error", f.max_error},
                        {"leave_one_profile_out", loo}});
  }
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : fit.points) {
    points.push_back({{"profile", p.profile},
                      {"kernel", p.name},
                      {"family", std::string(cost::family_name(p.family))},
                      {"measured_us", p.measured_s * 1e6},
                      {"base_us", p.base_s * 1e6},
                      {"fitted_us", p.fitted_s * 1e6},
                      {"error", p.error()}});
  }
  nlohmann::json profiles = nlohmann::json::array();
  for (const auto& t : fit.profiles) {
    profiles.push_back({{"profile", t.profile},
                        {"measured_us", t.measured_s * 1e6},
                        {"fitted_us", t.fitted_s * 1e6},
                        {"error", t.error()}});
  }
  return {{"families", families}, {"profiles", profiles}, {"points", points}};
}

void run_fit(const FitOptions& o) {
  auto hw = hardware::load_hardware(o.hardware);
  auto model = llm::load_model("deepseek-v3");
  auto fit = cost::fit_in_situ(hw, model);
  if (o.json) {
    fmt::print("{}\n", fit_json(fit).dump(2));
    return;
  }
  const cost::GemmForm form = cost::GemmModel(hw).form();
  fmt::print(
      "GEMM form (tile waves, fitted to the {} DeepGEMM rows): {:.0f} cycles a tile, MMAs at {:.3f} of the tensor "
      "peak, operand loads {:.1f} B/cycle per SM, HBM at {:.3f} of its bandwidth, launch {:.2f} us, masked tiles x {:.3f}; "
      "rms error {:.1f} % over {} rows\n",
      hw.tables_gpu, form.fixed_cycles, form.mma_efficiency, form.sm_bytes_per_cycle, form.hbm_efficiency,
      form.launch_s * 1e6, form.masked_factor, 100 * form.rms_error, form.points);
  if (o.gemm_rows) {
    fmt::print("{:<11}{:>7}{:>7}{:>7}{:>7}{:>13}{:>10}{:>8}{:>12}{:>8}\n", "layout", "groups", "m", "n", "k",
               "measured us", "form us", "error", "left out us", "error");
    for (const auto& r : cost::check_gemm_form(hw.gemm, hw.tables_gpu_spec)) {
      fmt::print("{:<11}{:>7.0f}{:>7.0f}{:>7.0f}{:>7.0f}{:>13.2f}{:>10.2f}{:>7.1f}%{:>12.2f}{:>7.1f}%\n",
                 cost::layout_name(r.layout), r.groups, r.m, r.n, r.k, r.measured_s * 1e6, r.fitted_s * 1e6,
                 100 * (r.fitted_s / r.measured_s - 1), r.left_out_s * 1e6, 100 * (r.left_out_s / r.measured_s - 1));
    }
  }
  const cost::MemoryBoundForm memory = cost::fit_memory_bound_form(hw, model);
  fmt::print("memory-bound form (fitted to the {} elementwise rows of the inference profiles): launch {:.2f} us, HBM "
             "at {:.3f} of its bandwidth; rms error {:.1f} %\n",
             memory.points, memory.launch_s * 1e6, memory.hbm_efficiency, 100 * memory.rms_error);
  fmt::print("\nin-situ efficiencies (base time / profile time), fitted on the {} tables' GPU\n", hw.tables_gpu);
  fmt::print("{:<20}{:>11}{:>8}{:>10}{:>10}  {}\n", "family", "efficiency", "points", "rms err", "max err",
             "leave one profile out: rms error on it (its efficiency)");
  for (const auto& f : fit.families) {
    std::string loo;
    for (const auto& l : f.leave_one_profile_out)
      loo += fmt::format("{} {:+.1f} % ({:.3f})  ", l.profile, 100 * l.rms_error, l.efficiency);
    fmt::print("{:<20}{:>11.3f}{:>8}{:>9.1f}%{:>9.1f}%  {}\n", cost::family_name(f.family), f.efficiency, f.points,
               100 * f.rms_error, 100 * f.max_error, loo);
  }
  fmt::print("\neach profile's kernels together:");
  for (const auto& t : fit.profiles) {
    fmt::print("  {} {:.0f} us measured, {:.0f} fitted ({:+.1f} %)", t.profile, t.measured_s * 1e6, t.fitted_s * 1e6,
               100 * t.error());
  }
  fmt::print("\n");
  fmt::print("\n{:<10}{:<20}{:<20}{:>12}{:>10}{:>10}{:>9}\n", "profile", "kernel", "family", "measured us", "base us",
             "fitted us", "error");
  for (const auto& p : fit.points) {
    fmt::print("{:<10}{:<20}{:<20}{:>12.1f}{:>10.1f}{:>10.1f}{:>8.1f}%\n", p.profile, p.name,
               cost::family_name(p.family), p.measured_s * 1e6, p.base_s * 1e6, p.fitted_s * 1e6, 100 * p.error());
  }
}

}  // namespace

void add_fit_command(CLI::App& app) {
  auto opts = std::make_shared<FitOptions>();
  auto* sub = app.add_subcommand("fit", "the in-situ kernel efficiencies fitted to DeepSeek's profiles");
  sub->add_option("--hardware", opts->hardware, "hardware kind: " + hardware::hardware_help())->capture_default_str();
  sub->add_flag("--json", opts->json, "print JSON");
  sub->add_flag("--gemm-rows", opts->gemm_rows, "also each DeepGEMM row beside the GEMM form, in sample and left out");
  sub->callback([opts] { run_fit(*opts); });
}

}  // namespace moesim::tools
