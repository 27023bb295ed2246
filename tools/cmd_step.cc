// moesim step: the steady-state step of one unit at a uniform load: time per layer and per step, the breakdown by
// operator, and throughput per node. Other tools call it with --json.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/paths.h"
#include "tools/commands.h"
#include "tools/step_options.h"

namespace moesim::tools {

namespace {

void run_step(const StepOptions& o) {
  auto setup = build_step(o);
  const auto& unit = *setup.unit;
  pipeline::StepResult r;
  double tokens_per_s_per_node = 0;
  int nodes = setup.geometry.nodes_per_unit;
  if (o.phase == "prefill") {
    std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(o.ep), setup.prefill_rank);
    r = unit.prefill(ranks, setup.expert_factor, true);
    // Input tokens per step: new tokens plus the cached prefix the prompts bring.
    double prompts = o.tokens_per_gpu / o.prompt_len;
    double input = o.tokens_per_gpu + prompts * o.cached_len;
    tokens_per_s_per_node = input * setup.geometry.gpus_per_node / r.step_s;
  } else {
    std::vector<pipeline::DecodeRank> ranks(static_cast<size_t>(o.ep), setup.decode_rank);
    r = unit.decode(ranks, setup.expert_factor, true);
    double per_step = setup.unit->config().mtp ? 1.0 + setup.model.mtp.acceptance : 1.0;
    tokens_per_s_per_node = o.batch_per_gpu * per_step * setup.geometry.gpus_per_node / r.step_s;
  }
  if (o.json) {
    nlohmann::json j = {{"hardware", o.hardware},
                        {"model", setup.model.name},
                        {"phase", o.phase},
                        {"ep", o.ep},
                        {"nodes", nodes},
                        {"overlap", o.overlap},
                        {"expert_factor", setup.expert_factor},
                        {"step_time_s", r.step_s},
                        {"layer_time_s", r.layer_s},
                        {"dense_layers_s", r.dense_layers_s},
                        {"head_s", r.head_s},
                        {"tokens_per_s_per_node", tokens_per_s_per_node}};
    if (o.phase == "decode") {
      double per_step = setup.unit->config().mtp ? 1.0 + setup.model.mtp.acceptance : 1.0;
      j["user_tokens_per_s"] = per_step / r.step_s;
      j["mtp"] = setup.unit->config().mtp;
    }
    j["graph_time_s"] = r.graph_s;
    j["overheads_s"] = r.overheads_s;
    nlohmann::json stages = nlohmann::json::object();
    for (int i = 0; i < pipeline::kNumStages; ++i) {
      auto s = static_cast<pipeline::Stage>(i);
      stages[std::string(pipeline::stage_name(s))] = r.micro_batch[s];
    }
    j["micro_batch_stages_s"] = stages;
    nlohmann::json cycle = nlohmann::json::array();
    for (const auto& op : r.critical_path)
      cycle.push_back({{"operator", op.name}, {"resource", op.resource}, {"seconds", op.seconds}});
    j["critical_path"] = cycle;
    nlohmann::json overheads = nlohmann::json::array();
    for (const auto& op : r.overheads)
      overheads.push_back({{"term", op.name}, {"kind", op.resource}, {"seconds", op.seconds}});
    j["overheads"] = overheads;
    nlohmann::json families = nlohmann::json::object();
    for (const auto& f : unit.in_situ().families) families[std::string(cost::family_name(f.family))] = f.efficiency;
    j["in_situ_efficiency"] = families;
    nlohmann::json b = nlohmann::json::array();
    for (const auto& op : r.breakdown)
      b.push_back({{"operator", op.name}, {"resource", op.resource}, {"seconds", op.seconds}});
    j["breakdown"] = b;
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{} {} EP{} ({} nodes), overlap {}, expert factor {:.3f}\n", o.hardware, o.phase, o.ep, nodes,
             o.overlap ? "on" : "off", setup.expert_factor);
  fmt::print("MoE layer period {:.1f} us, dense layers {:.2f} ms, head {:.2f} ms, graph {:.2f} ms, step {:.2f} ms\n",
             r.layer_s * 1e6, r.dense_layers_s * 1e3, r.head_s * 1e3, r.graph_s * 1e3, r.step_s * 1e3);
  for (const auto& o : r.overheads) fmt::print("  + {} ({}) {:.3f} ms\n", o.name, o.resource, o.seconds * 1e3);
  fmt::print("critical cycle of one MoE layer:");
  for (const auto& op : r.critical_path) fmt::print(" {} {:.1f}us |", op.name, op.seconds * 1e6);
  fmt::print("\n");
  if (o.phase == "decode") {
    double per_step = setup.unit->config().mtp ? 1.0 + setup.model.mtp.acceptance : 1.0;
    fmt::print("per-user speed {:.1f} tokens/s\n", per_step / r.step_s);
  }
  fmt::print("throughput {:.0f} {} tokens/s per node\n", tokens_per_s_per_node,
             o.phase == "prefill" ? "input" : "output");
  fmt::print("\n{:<24}{:<15}{:>12}\n", "operator", "resource", "ms/step");
  for (const auto& op : r.breakdown) fmt::print("{:<24}{:<15}{:>12.3f}\n", op.name, op.resource, op.seconds * 1e3);
}

}  // namespace

void add_step_command(CLI::App& app) {
  auto opts = std::make_shared<StepOptions>();
  auto* sub =
      app.add_subcommand("step", "steady-state step of one unit: time per layer and per step, per-node throughput");
  add_step_options(*sub, *opts);
  sub->add_flag("--json", opts->json, "print one JSON object");
  sub->callback([opts] { run_step(*opts); });
}

}  // namespace moesim::tools
