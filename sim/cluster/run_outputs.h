// The files a run writes: summary.json (the report, serialized once by observe::to_json), resolved-scenario.json,
// hourly.csv and minutes.csv (the ledger), latency-cdf.csv, and performance.json (wall time and speed, kept out of
// the summary so that it stays byte-identical across runs).
//
//   write_run_outputs("out/day", scenario, report, sim.metrics(), wall_s);
#pragma once

#include <filesystem>

#include "sim/cluster/scenario.h"
#include "sim/observe/metrics.h"
#include "sim/observe/run_report.h"

namespace moesim::cluster {

/// Writes every output of a finished run into `out_dir` (created if needed). A file that cannot be written is an
/// InputError naming it.
void write_run_outputs(const std::filesystem::path& out_dir, const Scenario& scenario, const observe::RunReport& report,
                       const observe::RunMetrics& metrics, double wall_s);

}  // namespace moesim::cluster
