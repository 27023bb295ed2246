// moesim fit: the in-situ kernel efficiencies fitted to DeepSeek's profiles (models/cost/in_situ.h), per family
// with its in-fit and leave-one-profile-out errors, and every profile kernel beside the model; --json for tools.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/paths.h"
#include "hardware/hardware.h"
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/output_paths.h"
#include "common/json_reader.h"
#include "models/cost/calibration_file.h"
#include "models/cost/fit_error.h"
#include "models/cost/gemm.h"
#include "tools/step_options.h"
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
  std::string profile;   ///< a user's profile: CSV of operator, mean_us, count
  std::string settings;  ///< what the profile ran: JSON (hardware, phase, ep, loads)
  std::string write;     ///< where the calibration file goes (else stdout)
};

// One row of a user's profile: an operator of the model's layer (the names `moesim step --json` prints in its
// breakdown), its mean time per micro-batch and layer, and how many kernels were averaged.
struct ProfileRow {
  std::string op;
  double seconds = 0;
  long count = 0;
  int line = 0;
};

std::vector<ProfileRow> read_profile_csv(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot read the profile", file));
  std::vector<ProfileRow> rows;
  std::string text;
  int line = 0;
  bool header = false;
  while (std::getline(in, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(text);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (!header) {
      if (text != "operator,mean_us,count") {
        throw InputError(fmt::format("{}:{}: expected the header \"operator,mean_us,count\"", file, line));
      }
      header = true;
      continue;
    }
    ProfileRow r;
    r.line = line;
    char* end = nullptr;
    if (cells.size() != 3 || cells[0].empty()) {
      throw InputError(fmt::format("{}:{}: expected operator,mean_us,count", file, line));
    }
    r.op = cells[0];
    r.seconds = std::strtod(cells[1].c_str(), &end) * 1e-6;
    if (end == cells[1].c_str() || *end != '\0' || !(r.seconds > 0) || !std::isfinite(r.seconds)) {
      throw InputError(fmt::format("{}:{}: mean_us: expected a positive number, got \"{}\"", file, line, cells[1]));
    }
    r.count = std::strtol(cells[2].c_str(), &end, 10);
    if (end == cells[2].c_str() || *end != '\0' || r.count < 1) {
      throw InputError(fmt::format("{}:{}: count: expected a positive integer, got \"{}\"", file, line, cells[2]));
    }
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw InputError(fmt::format("{}: no profile rows", file));
  return rows;
}

StepOptions read_settings(const std::string& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file);
  StepOptions o;
  o.model = r.string_or("model", o.model);
  o.hardware = r.string("hardware");
  o.phase = r.choice("phase", {"prefill", "decode"});
  o.ep = static_cast<int>(r.integer("ep", {1, 1'000'000, "a number of GPUs"}));
  o.redundant_experts = static_cast<int>(r.integer_or("redundant_experts", o.redundant_experts, {0, 1'000'000, "a count"}));
  o.overlap = r.boolean_or("overlap", true);
  if (o.phase == "prefill") {
    o.tokens_per_gpu = r.number("tokens_per_gpu", {1, 1e8, false, "a number of tokens"});
    o.prompt_len = r.number_or("prompt_len", 4096, {1, 1e8, false, "a number of tokens"});
    o.cached_len = r.number_or("cached_len", 0, {0, 1e8, false, "a number of tokens"});
  } else {
    o.batch_per_gpu = r.number("batch_per_gpu", {1, 1e6, false, "a number of sequences"});
    o.kv_len = r.number("kv_len", {1, 1e8, false, "a number of tokens"});
    o.mtp = r.boolean_or("mtp", true);
  }
  r.finish();
  return o;
}

// Fits each family's efficiency to the profile's rows at the settings' step: the base time of each operator is the
// unit's cost with every efficiency 1 (its breakdown for one micro-batch and layer).
void run_profile_fit(const FitOptions& o) {
  const auto settings = read_settings(o.settings);
  const auto rows = read_profile_csv(o.profile);
  auto setup = build_step(settings);
  auto config = setup.unit->config();
  const auto& in_situ = setup.unit->in_situ();
  for (int f = 0; f < cost::kNumKernelFamilies; ++f) {
    const double e = in_situ.efficiency(static_cast<cost::KernelFamily>(f));
    config.efficiency_scale[f] = e > 0 ? 1.0 / e : 1.0;
  }
  const pipeline::UnitStepModel base(setup.hw, setup.model, config);
  const bool prefill = settings.phase == "prefill";
  pipeline::StepResult step;
  if (prefill) {
    std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(settings.ep), setup.prefill_rank);
    step = base.prefill(ranks, setup.expert_factor, true);
  } else {
    std::vector<pipeline::DecodeRank> ranks(static_cast<size_t>(settings.ep), setup.decode_rank);
    step = base.decode(ranks, setup.expert_factor, true);
  }
  const auto phase = prefill ? llm::Phase::kPrefill : llm::Phase::kDecode;
  const auto ops = llm::layer_operators(setup.model, phase, true);
  std::array<std::vector<double>, cost::kNumKernelFamilies> measured, based;
  for (const auto& row : rows) {
    auto op = std::find_if(ops.begin(), ops.end(), [&](const llm::Operator& x) { return x.name == row.op; });
    if (op == ops.end() || op->communication) {
      std::string known;
      for (const auto& x : ops) {
        if (!x.communication) known += (known.empty() ? "" : ", ") + x.name;
      }
      throw InputError(fmt::format("{}:{}: \"{}\" is no kernel operator of a {} {} layer (known: {})", o.profile,
                                   row.line, row.op, setup.model.name, settings.phase, known));
    }
    double seconds = 0;
    for (const auto& stage : step.micro_batch_operators) {
      for (const auto& s : stage) {
        if (s.name == row.op) seconds += s.seconds;
      }
    }
    const int f = static_cast<int>(pipeline::kernel_family(*op, phase));
    measured[f].push_back(row.seconds);
    based[f].push_back(seconds);
  }
  cost::CalibrationFile cal;
  cal.hardware = settings.hardware;
  cal.model = setup.model.name;
  cal.provenance = {{"profile", o.profile}, {"settings", load_json_file(o.settings)}, {"rows", rows.size()},
                    {"method", "moesim fit --profile: each family's efficiency by least squares on relative errors, "
                               "base times from the unit's step at the settings with every efficiency 1"}};
  for (int f = 0; f < cost::kNumKernelFamilies; ++f) {
    if (measured[f].empty()) continue;
    const double e = cost::fit_efficiency(measured[f], based[f]);
    std::vector<double> errors;
    for (size_t i = 0; i < measured[f].size(); ++i) errors.push_back(based[f][i] / e / measured[f][i] - 1.0);
    cal.efficiency[f] = e;
    cal.points[f] = static_cast<int>(measured[f].size());
    cal.rms_error[f] = cost::rms(errors);
  }
  const std::string text = cost::to_json(cal).dump(2) + "\n";
  if (o.write.empty()) {
    fmt::print("{}", text);
  } else {
    write_text_file(o.write, text);
    fmt::print(stderr, "wrote {}\n", o.write);
  }
}

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
  if (!o.profile.empty() || !o.settings.empty()) {
    if (o.profile.empty() || o.settings.empty()) throw InputError("--profile and --settings go together");
    if (!o.write.empty()) check_output_file(o.write, "--write");
    run_profile_fit(o);
    return;
  }
  if (!o.write.empty()) throw InputError("--write: a calibration file comes from a fit to --profile and --settings");
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
  sub->add_option("--profile", opts->profile,
                  "your own profile: CSV 'operator,mean_us,count' (operator names as moesim step --json prints them; "
                  "mean time per micro-batch and layer)");
  sub->add_option("--settings", opts->settings,
                  "what the profile ran: JSON {hardware, phase, ep, tokens_per_gpu | batch_per_gpu, kv_len, ...}");
  sub->add_option("--write", opts->write, "write the calibration file here (else print it)");
  sub->callback([opts] { run_fit(*opts); });
}

}  // namespace moesim::tools
