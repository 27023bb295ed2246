#include "tools/report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "common/json_reader.h"
#include "models/llm/model.h"
#include "sim/observe/figures.h"

namespace moesim::tools {

namespace {

double num(const nlohmann::json& j, std::string_view key) {
  auto it = j.find(std::string(key));
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

void print_report(const observe::RunReport& s, const cluster::Scenario& scenario) {
  nlohmann::json published;
  if (!scenario.published.empty()) {
    std::filesystem::path p(scenario.published);
    if (!p.is_absolute()) p = std::filesystem::path(scenario.base_dir) / p;
    published = load_json_file(p);
  }
  const auto& c = s.conservation;
  fmt::print("\n{}  (seed {}, {:.0f} s simulated)\n", scenario.name.empty() ? "run" : scenario.name, scenario.seed,
             s.simulated_s);
  fmt::print("requests: {} in = {} completed + {} rejected + {} in flight at the end{}\n", c.requests_in,
             c.requests_completed, c.requests_rejected, c.requests_in_flight_at_end.total(),
             c.requests_conserved ? "" : "  (NOT CONSERVED)");
  fmt::print("tokens: {} input and {} output in; {}\n", c.tokens_in.input, c.tokens_in.output,
             c.tokens_conserved ? "conserved (completed + rejected + in flight)" : "NOT CONSERVED");
  struct Row {
    const char* label;
    std::string_view key;  // the published outcomes file's key (the same as summary.json's)
    double value;
    const char* fmt;
    double scale;
    bool extensive;  // scales with the traffic: compared with the published value x workload.scale
    bool restated;   // under an imposed node schedule, a consistency check rather than a prediction
  };
  // A figure of the catalogue: its key and its value in this report.
  const auto row = [&s](const char* label, const observe::Figure& f, const char* format, double scale, bool extensive,
                        bool restated) { return Row{label, f.name, f.get(s), format, scale, extensive, restated}; };
  using observe::figure;
  const double p_nodes = s.nodes.prefill_avg;
  const Row rows[] = {
      row("nodes, average", figure("nodes_avg"), "{:.2f}", 1, true, true),
      row("nodes, peak", figure("nodes_peak"), "{:.0f}", 1, true, true),
      // Derived here, not a figure of summary.json: the published outcomes file states it.
      {"decode : prefill nodes", "decode_prefill_node_ratio", p_nodes > 0 ? s.nodes.decode_avg / p_nodes : NAN,
       "{:.2f}", 1, false, false},
      row("prefill tokens/s per node (k)", figure("prefill_tokens_per_s_per_node"), "{:.1f}", 1e-3, false, true),
      row("decode tokens/s per node (k)", figure("decode_tokens_per_s_per_node"), "{:.2f}", 1e-3, false, true),
      row("user tokens/s, mean", figure("user_tokens_per_s_mean"), "{:.1f}", 1, false, false),
      row("TTFT p50 (s)", figure("ttft_p50_s"), "{:.2f}", 1, false, false),
      row("TTFT p99 (s)", figure("ttft_p99_s"), "{:.2f}", 1, false, false),
      row("input tokens (B)", figure("input_tokens"), "{:.2f}", 1e-9, true, false),
      row("output tokens (B)", figure("output_tokens"), "{:.2f}", 1e-9, true, false),
      row("cost (k$)", figure("cost_usd"), "{:.2f}", 1e-3, true, true),
      row("theoretical revenue (k$)", figure("revenue_usd"), "{:.2f}", 1e-3, true, false),
      row("margin (ratio)", figure("margin"), "{:.2f}", 1, false, true),
  };
  bool compare = published.is_object();
  double scale = scenario.workload.kind == "generator" ? scenario.workload.scale : 1.0;
  fmt::print("{:<32}{:>14}{}\n", "", "simulated", compare ? fmt::format("{:>14}{:>10}", "published", "error") : "");
  if (compare && scale != 1.0) {
    fmt::print(
        "(workload scale {}: published totals below are multiplied by it; node counts quantize in whole units)\n",
        scale);
  }
  for (const auto& r : rows) {
    double v = r.value;
    if (std::isnan(v)) continue;
    std::string line = fmt::format("{:<32}{:>14}", r.label, fmt::format(fmt::runtime(r.fmt), v * r.scale));
    double p = compare ? num(published, r.key) * (r.extensive ? scale : 1.0) : NAN;
    if (!std::isnan(p)) {
      line += fmt::format("{:>14}{:>9.1f}%", fmt::format(fmt::runtime(r.fmt), p * r.scale), (v - p) / p * 100.0);
    }
    if (r.restated && scenario.autoscaler.policy == "fixed") line += "  consistency check (the schedule is imposed)";
    fmt::print("{}\n", line);
  }
  // What the expert loads rest on: the model's published routing statistics, or an assumption the run states.
  const auto model = llm::load_model(cluster::model_ref(scenario));
  const std::string& prefill_kind = cluster::pool_hardware(scenario, scenario.fleet.prefill);
  const std::string& decode_kind = cluster::pool_hardware(scenario, scenario.fleet.decode);
  const std::string kinds =
      prefill_kind == decode_kind ? prefill_kind : fmt::format("{} (prefill) and {} (decode)", prefill_kind, decode_kind);
  fmt::print("\n{} on {}: expert skew \"{}\" ({})\n", model.name, kinds, scenario.experts.skew,
             model.routing.statistics_published ? "per-expert routing statistics of this model are published"
             : scenario.experts.skew == "uniform"
                 ? "assumed: no per-expert routing statistics of this model are published"
                 : "assumed: no per-expert routing statistics of this model are published; the skew is not "
                   "fitted to it");
  fmt::print(
      "capacity at the SLO ({:.0f} tokens/s per user): decode {:.2f} k output tokens/s per node, {:.0f} % used\n",
      scenario.slo.user_tokens_per_s, s.throughput.decode_capacity_tokens_per_s_per_node_at_slo * 1e-3,
      s.throughput.decode_utilization_at_slo * 100);
  if (s.autoscaler) {
    double pcap = s.autoscaler->prefill_capacity_new_tokens_per_s_per_node;
    double input = static_cast<double>(s.tokens.input);
    double cached = static_cast<double>(s.tokens.input_cached);
    double ratio = input > cached ? input / (input - cached) : 1.0;
    fmt::print(
        "prefill at full steps of the day's mix: {:.1f} k computed tokens/s per node ({:.1f} k input tokens/s "
        "with the cached share), {:.0f} % used\n",
        pcap * 1e-3, pcap * ratio * 1e-3, s.autoscaler->prefill_utilization * 100);
  }
}

}  // namespace moesim::tools
