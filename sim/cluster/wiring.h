// Wiring: builds the production pieces of a run from its scenario — the step model over models/, the expert
// balance over the EPLB, the arrival source over traces/ — so that `moesim run` and the tests build runs one way.
//
//   auto parts = moesim::cluster::build_run_parts(scenario);
//   Simulation sim(scenario, *parts.step_model, *parts.prefill_experts, *parts.decode_experts, *parts.source);
#pragma once

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "sim/cluster/autoscaler_driver.h"
#include "sim/cluster/simulation.h"

namespace moesim::cluster {

struct RunParts {
  std::unique_ptr<StepModel> step_model;
  std::unique_ptr<ExpertBalance> prefill_experts;
  std::unique_ptr<ExpertBalance> decode_experts;
  std::unique_ptr<ArrivalSource> source;
  std::unique_ptr<AutoscalerDriver> autoscaler;  ///< null when the policy keeps the fleet fixed (static_fleet)
};

/// Builds every part; bad references (hardware, model file, trace, schedule) are InputErrors naming the field.
RunParts build_run_parts(const Scenario& scenario);

/// A path from the scenario: absolute, or relative to the scenario file's folder.
std::filesystem::path resolve_path(const Scenario& scenario, const std::string& file);

/// Reads a node schedule CSV (header, then rows of `start,end,nodes`; start and end either seconds or
/// "YYYY-MM-DD HH:MM" wall-clock times, taken relative to the first row's start). Errors name file:line.
std::vector<std::pair<double, int64_t>> read_node_schedule(const std::filesystem::path& file);

/// Runs a scenario end to end with its production parts and writes, into `out_dir`: summary.json,
/// resolved-scenario.json, hourly.csv, minutes.csv and latency-cdf.csv. Returns the report.
observe::RunReport run_and_write(const Scenario& scenario, const std::filesystem::path& out_dir, double drain_s,
                                 const ProgressFn& progress);

}  // namespace moesim::cluster
