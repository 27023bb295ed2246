// moesim eplb: run the expert balancer on a weight matrix (JSON in, JSON out); also shows the expert-skew model's
// routing statistics beside the measured ones (--skew-stats) and refits the calibrated preset (--fit-skew).
//
//   moesim eplb --weights w.json --replicas 16 --groups 4 --nodes 2 --gpus 8 --json
//   moesim eplb --skew-stats calibrated
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "common/error.h"
#include "common/paths.h"
#include "models/cost/expert_calibration.h"
#include "sim/policy/eplb.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"

namespace moesim::tools {
namespace {

struct EplbOptions {
  std::string weights;
  int replicas = 0, groups = 0, nodes = 0, gpus = 0;
  std::string model = "deepseek-v3";  ///< --skew-stats: whose routing shape (experts, top-k, groups) is drawn
  std::string policy = "auto";
  bool json = false;
  std::string skew_stats;
  bool exact = false;
  bool fit = false;
};

void run_placement(const EplbOptions& o) {
  for (auto [name, value] :
       {std::pair{"--replicas", o.replicas}, {"--groups", o.groups}, {"--nodes", o.nodes}, {"--gpus", o.gpus}}) {
    if (value <= 0) throw InputError(fmt::format("moesim eplb: {} must be a positive integer, got {}", name, value));
  }
  auto weight = cost::load_weight_matrix(o.weights);
  policy::EplbShape shape{o.replicas, o.groups, o.nodes, o.gpus};
  try {
    shape.check(static_cast<int>(weight[0].size()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", o.weights, e.what()));
  }
  auto balancer = policy::builtin_expert_balancers().make(o.policy);
  cost::ExpertPlacement placement = balancer->place(weight, shape);
  std::vector<double> balance = policy::balancedness(placement, weight);

  nlohmann::json phy2log = nlohmann::json::array(), logcnt = nlohmann::json::array(), loads = nlohmann::json::array();
  for (int l = 0; l < placement.num_layers(); ++l) {
    phy2log.push_back(placement.phy2log[l]);
    logcnt.push_back(placement.logcnt(l));
    loads.push_back(placement.gpu_loads(l, weight[l]));
  }
  if (o.json) {
    nlohmann::json out = {{"phy2log", phy2log}, {"logcnt", logcnt}, {"gpu_loads", loads}, {"balancedness", balance}};
    fmt::print("{}\n", out.dump());
    return;
  }
  std::string resolved(o.policy == "auto" ? policy::AutoEplb::resolve(shape) : o.policy);
  fmt::print("policy {}{}: {} layers, {} experts, {} replicas on {} GPUs in {} nodes ({} slots per GPU)\n", resolved,
             o.policy == "auto" ? " (auto)" : "", placement.num_layers(), placement.num_experts, o.replicas, o.gpus,
             o.nodes, shape.slots_per_gpu());
  for (int l = 0; l < placement.num_layers(); ++l) {
    auto gpu = placement.gpu_loads(l, weight[l]);
    double max = *std::max_element(gpu.begin(), gpu.end());
    double mean = std::accumulate(gpu.begin(), gpu.end(), 0.0) / static_cast<double>(gpu.size());
    fmt::print("layer {}: balancedness {:.4f} (mean GPU load {:.6g}, max {:.6g})\n", l, balance[l], mean, max);
    fmt::print("  phy2log   {}\n", fmt::join(placement.phy2log[l], " "));
    fmt::print("  logcnt    {}\n", fmt::join(placement.logcnt(l), " "));
    fmt::print("  gpu_loads {}\n", fmt::join(gpu, " "));
  }
}

// The measured statistics are DeepSeek-V3/R1's: its routing shape, from the model file.
cost::RoutingShape v3_routing() {
  return cost::routing_shape(llm::load_model("deepseek-v3"));
}

void run_skew_stats(const EplbOptions& o) {
  cost::SkewSpec spec = cost::parse_skew_spec(o.skew_stats, "--skew-stats");
  cost::SkewStatisticsOptions options;
  options.instances = 32;  // as the fit
  options.exact_routing = o.exact;
  std::vector<double> model = cost::skew_statistics(spec, cost::routing_shape(llm::load_model(o.model)), options);
  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < model.size(); ++i) {
      const auto& m = cost::kMeasuredExpertStatistics[i];
      rows.push_back({{"statistic", m.name}, {"measured", m.value}, {"model", model[i]}, {"source", m.source}});
    }
    fmt::print(
        "{}\n",
        nlohmann::json{{"skew", cost::to_string(spec)}, {"statistics", rows}, {"loss", cost::skew_fit_loss(model)}}
            .dump());
    return;
  }
  fmt::print("skew {} ({} routing; loss {:.4f})\n", cost::to_string(spec), o.exact ? "exact" : "Poisson",
             cost::skew_fit_loss(model));
  fmt::print("| statistic | measured | model | source |\n|---|---|---|---|\n");
  for (size_t i = 0; i < model.size(); ++i) {
    const auto& m = cost::kMeasuredExpertStatistics[i];
    fmt::print("| {} | {:.4g} | {:.4g} | {} |\n", m.name, m.value, model[i], m.source);
  }
}

void run_fit() {
  cost::SkewStatisticsOptions options;
  options.instances = 32;  // 32 draws of the 58-layer model; 64 draws move the fit by 0.01 (spread 0.13 -> 0.14)
  cost::SkewFit fit = cost::fit_calibrated_skew(v3_routing(), options);
  fmt::print("lognormal sigma {:.2f}, per-layer spread {:.2f}, loss {:.4f} (preset: sigma {:.2f}, spread {:.2f})\n",
             fit.sigma, fit.sigma_spread, fit.loss, cost::kCalibratedSigma, cost::kCalibratedSigmaSpread);
}

}  // namespace

void add_eplb_command(CLI::App& app) {
  auto options = std::make_shared<EplbOptions>();
  auto* sub = app.add_subcommand("eplb", "run the expert balancer on a weight matrix (JSON in, JSON out)");
  sub->add_option("--weights", options->weights, "JSON file: one list of per-expert loads per layer ([[...], ...])");
  // Bounds far beyond any deployment (DeepSeek's decode unit: 320 slots on 144 GPUs), so that sizes stay sane.
  sub->add_option("--replicas", options->replicas, "physical expert slots (a multiple of --gpus)")
      ->check(within(1, 1 << 20));
  sub->add_option("--groups", options->groups, "expert groups")->check(within(1, 1 << 16));
  sub->add_option("--nodes", options->nodes, "nodes")->check(within(1, 1 << 16));
  sub->add_option("--gpus", options->gpus, "GPUs (a multiple of --nodes)")->check(within(1, 1 << 20));
  const auto& balancers = policy::builtin_expert_balancers();
  sub->add_option("--policy", options->policy, "expert balancer: " + balancers.known())
      ->check(CLI::IsMember(balancers.names()));
  sub->add_flag("--json", options->json, "print one JSON object");
  sub->add_option("--model", options->model,
                  "--skew-stats: the model whose routing shape is drawn (a registered model, alias or file; the "
                  "calibrated fit always uses DeepSeek-V3's, whose statistics it fits)")
      ->capture_default_str();
  sub->add_option("--skew-stats", options->skew_stats,
                  "instead: print a skew model's routing statistics beside the measured ones (e.g. calibrated)");
  sub->add_flag("--exact", options->exact, "with --skew-stats: route every token instead of Poisson counts");
  sub->add_flag("--fit-skew", options->fit, "instead: refit the calibrated preset to the measured statistics");
  sub->callback([options] {
    if (options->fit) return run_fit();
    if (!options->skew_stats.empty()) return run_skew_stats(*options);
    if (options->weights.empty()) {
      throw InputError("moesim eplb: --weights FILE.json is required (with --replicas, --groups, --nodes, --gpus)");
    }
    run_placement(*options);
  });
}

}  // namespace moesim::tools
