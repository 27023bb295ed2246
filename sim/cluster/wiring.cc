#include "sim/cluster/wiring.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace moesim::cluster {

namespace {

// Seconds from "YYYY-MM-DD HH:MM" (days counted from a fixed epoch; only differences matter), or a plain number.
double parse_time(const std::string& text, const std::string& where) {
  int y, mo, d, h, mi;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) == 5) {
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    y -= mo <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    double days = era * 146097.0 + doe - 719468.0;
    return days * 86400.0 + h * 3600.0 + mi * 60.0;
  }
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') throw InputError(fmt::format("{}: not a time: \"{}\"", where, text));
  return v;
}

}  // namespace

std::filesystem::path resolve_path(const Scenario& s, const std::string& file) {
  std::filesystem::path p(file);
  return p.is_absolute() || s.base_dir.empty() ? p : std::filesystem::path(s.base_dir) / p;
}

std::vector<std::pair<double, int64_t>> read_node_schedule(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot open file", file.string()));
  std::string line;
  std::vector<std::pair<double, int64_t>> rows;
  double origin = 0.0;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;  // header
    std::string where = fmt::format("{}:{}", file.string(), line_no);
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() != 3) throw InputError(fmt::format("{}: expected start,end,nodes", where));
    double start = parse_time(cells[0], where);
    char* end = nullptr;
    long long nodes = std::strtoll(cells[2].c_str(), &end, 10);
    if (end == cells[2].c_str() || nodes <= 0) {
      throw InputError(fmt::format("{}: nodes: expected a positive integer, got \"{}\"", where, cells[2]));
    }
    if (rows.empty()) origin = start;
    double t = start - origin;
    if (!rows.empty() && t < rows.back().first) throw InputError(fmt::format("{}: rows out of order", where));
    rows.emplace_back(t, static_cast<int64_t>(nodes));
  }
  if (rows.empty()) throw InputError(fmt::format("{}: no rows", file.string()));
  return rows;
}

observe::RunReport run_and_write(const Scenario& scenario, const std::filesystem::path& out_dir, double drain_s,
                                 const ProgressFn& progress) {
  RunParts parts = build_run_parts(scenario);
  Simulation sim(scenario, *parts.step_model, *parts.prefill_experts, *parts.decode_experts, *parts.source,
                 parts.autoscaler.get());
  if (parts.autoscaler) sim.signals().subscribe(parts.autoscaler.get());
  auto wall_start = std::chrono::steady_clock::now();
  observe::RunReport report = sim.run(drain_s, progress);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::filesystem::create_directories(out_dir);
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream out(out_dir / name);
    out << text;
    if (!out) throw InputError(fmt::format("{}: cannot write", (out_dir / name).string()));
  };
  write("summary.json", observe::to_json(report).dump(2) + "\n");
  write("resolved-scenario.json", to_json(scenario).dump(2) + "\n");
  write("hourly.csv", sim.metrics().ledger().csv(false));
  write("minutes.csv", sim.metrics().ledger().csv(true));
  write("latency-cdf.csv", sim.metrics().latency().cdf_csv());
  // Wall time and speed go beside the summary, not in it: summary.json must be byte-identical across runs.
  nlohmann::json perf = {{"wall_s", wall},
                         {"events_per_s", static_cast<double>(report.events_executed) / wall},
                         {"requests_per_s", static_cast<double>(report.conservation.requests_in) / wall}};
  write("performance.json", perf.dump(2) + "\n");
  return report;
}

}  // namespace moesim::cluster
