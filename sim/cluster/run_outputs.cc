#include "sim/cluster/run_outputs.h"

#include <string>

#include "common/output_paths.h"

namespace moesim::cluster {

void write_run_outputs(const std::filesystem::path& out_dir, const Scenario& scenario, const observe::RunReport& report,
                       const observe::RunMetrics& metrics, double wall_s) {
  prepare_output_folder(out_dir, "output folder");
  auto write = [&](const char* name, const std::string& text) { write_text_file(out_dir / name, text); };
  write("summary.json", observe::to_json(report).dump(2) + "\n");
  write("resolved-scenario.json", to_json(scenario).dump(2) + "\n");
  write("hourly.csv", metrics.ledger().csv(false));
  write("minutes.csv", metrics.ledger().csv(true));
  write("latency-cdf.csv", metrics.latency().cdf_csv());
  // Wall time and speed go beside the summary, not in it: summary.json must be byte-identical across runs.
  nlohmann::json perf = {{"wall_s", wall_s},
                         {"events_per_s", static_cast<double>(report.events_executed) / wall_s},
                         {"requests_per_s", static_cast<double>(report.conservation.requests_in) / wall_s}};
  write("performance.json", perf.dump(2) + "\n");
}

}  // namespace moesim::cluster
