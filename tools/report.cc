#include "tools/report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "common/json_reader.h"

namespace moesim::tools {

namespace {

double num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

void print_report(const nlohmann::json& s, const cluster::Scenario& scenario) {
  nlohmann::json published;
  if (!scenario.published.empty()) {
    std::filesystem::path p(scenario.published);
    if (!p.is_absolute()) p = std::filesystem::path(scenario.base_dir) / p;
    published = load_json_file(p);
  }
  fmt::print("\n{}  (seed {}, {:.0f} s simulated)\n", scenario.name.empty() ? "run" : scenario.name, scenario.seed,
             num(s, "simulated_s"));
  int64_t in_flight = 0;
  for (auto& [k, v] : s["requests_in_flight_at_end"].items()) in_flight += v.get<int64_t>();
  fmt::print("requests: {} in = {} completed + {} rejected + {} in flight at the end{}\n",
             s["requests_in"].get<int64_t>(), s["requests_completed"].get<int64_t>(),
             s["requests_rejected"].get<int64_t>(), in_flight,
             s["requests_conserved"].get<bool>() ? "" : "  (NOT CONSERVED)");
  fmt::print("tokens: {} input and {} output in; {}\n", s["tokens_in"]["input"].get<int64_t>(),
             s["tokens_in"]["output"].get<int64_t>(),
             s["tokens_conserved"].get<bool>() ? "conserved (completed + rejected + in flight)" : "NOT CONSERVED");
  struct Row {
    const char* label;
    const char* key;
    const char* fmt;
    double scale;
    bool extensive;  // scales with the traffic: compared with the published value x workload.scale
  };
  const Row rows[] = {
      {"nodes, average", "nodes_avg", "{:.2f}", 1, true},
      {"nodes, peak", "nodes_peak", "{:.0f}", 1, true},
      {"decode : prefill nodes", "decode_prefill_node_ratio", "{:.2f}", 1, false},
      {"prefill tokens/s per node (k)", "prefill_tokens_per_s_per_node", "{:.1f}", 1e-3, false},
      {"decode tokens/s per node (k)", "decode_tokens_per_s_per_node", "{:.2f}", 1e-3, false},
      {"user tokens/s, mean", "user_tokens_per_s_mean", "{:.1f}", 1, false},
      {"TTFT p50 (s)", "ttft_p50_s", "{:.2f}", 1, false},
      {"TTFT p99 (s)", "ttft_p99_s", "{:.2f}", 1, false},
      {"input tokens (B)", "input_tokens", "{:.2f}", 1e-9, true},
      {"output tokens (B)", "output_tokens", "{:.2f}", 1e-9, true},
      {"cost (k$)", "cost_usd", "{:.2f}", 1e-3, true},
      {"theoretical revenue (k$)", "revenue_usd", "{:.2f}", 1e-3, true},
      {"margin (ratio)", "margin", "{:.2f}", 1, false},
  };
  bool compare = published.is_object();
  double scale = scenario.workload.kind == "generator" ? scenario.workload.scale : 1.0;
  fmt::print("{:<32}{:>14}{}\n", "", "simulated", compare ? fmt::format("{:>14}{:>10}", "published", "error") : "");
  if (compare && scale != 1.0) {
    fmt::print(
        "(workload scale {}: published totals below are multiplied by it; node counts quantize in whole units)\n",
        scale);
  }
  nlohmann::json derived = s;
  double p_nodes = num(s, "prefill_nodes_avg");
  derived["decode_prefill_node_ratio"] = p_nodes > 0 ? num(s, "decode_nodes_avg") / p_nodes : NAN;
  for (const auto& r : rows) {
    double v = num(derived, r.key);
    if (std::isnan(v)) continue;
    std::string line = fmt::format("{:<32}{:>14}", r.label, fmt::format(fmt::runtime(r.fmt), v * r.scale));
    double p = compare ? num(published, r.key) * (r.extensive ? scale : 1.0) : NAN;
    if (!std::isnan(p)) {
      line += fmt::format("{:>14}{:>9.1f}%", fmt::format(fmt::runtime(r.fmt), p * r.scale), (v - p) / p * 100.0);
    }
    bool restated = scenario.autoscaler.policy == "fixed" &&
                    (std::string_view(r.key).find("tokens_per_s_per_node") != std::string_view::npos ||
                     std::string_view(r.key).find("nodes") != std::string_view::npos ||
                     std::string_view(r.key) == "cost_usd" || std::string_view(r.key) == "margin");
    if (restated) line += "  consistency check (the schedule is imposed)";
    fmt::print("{}\n", line);
  }
  double cap = num(s, "decode_capacity_tokens_per_s_per_node_at_slo");
  if (!std::isnan(cap)) {
    fmt::print(
        "\ncapacity at the SLO ({:.0f} tokens/s per user): decode {:.2f} k output tokens/s per node, {:.0f} % used\n",
        scenario.slo.user_tokens_per_s, cap * 1e-3, num(s, "decode_utilization_at_slo") * 100);
  }
  double pcap = num(s, "prefill_capacity_new_tokens_per_s_per_node");
  if (!std::isnan(pcap)) {
    double input = num(s, "input_tokens");
    double cached = num(s, "input_tokens_cached");
    double ratio = input > cached ? input / (input - cached) : 1.0;
    fmt::print(
        "prefill at full steps of the day's mix: {:.1f} k computed tokens/s per node ({:.1f} k input tokens/s "
        "with the cached share), {:.0f} % used\n",
        pcap * 1e-3, pcap * ratio * 1e-3, num(s, "prefill_utilization") * 100);
  }
}

}  // namespace moesim::tools
