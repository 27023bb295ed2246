// Wiring: builds the production pieces of a run from its scenario — the step model over models/, the expert
// balance over the EPLB, the arrival source over traces/, the autoscaler controller — so that `moesim run`, the
// sweep runner and the tests build runs one way; and runs a scenario end to end with them (run_scenario returns the
// report; run_and_write also writes the files, through run_outputs.h).
//
//   observe::RunReport report = moesim::cluster::run_scenario(scenario, {.drain_s = 600.0});
//   auto parts = moesim::cluster::build_run_parts(scenario);  // the pieces alone, for a Simulation of one's own
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

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

/// The autoscaler policy's parameters from the scenario (the node schedule file read for `fixed`).
policy::AutoscalerParams autoscaler_params(const Scenario& scenario);

/// Builds every part; bad references (hardware, model file, trace, schedule) are InputErrors naming the field.
/// `exact`: no approximation made for speed (the decode step computed for every step, the expert-load table from
/// its adaptive reference); docs/performance.md compares both.
RunParts build_run_parts(const Scenario& scenario, bool exact = false);

/// How a run is driven, beside its scenario.
struct RunControl {
  double drain_s = 86400.0;  ///< time after the horizon that requests in flight get to finish
  bool exact = false;        ///< see build_run_parts
  ProgressFn progress;       ///< may be empty
  StopRules stop;            ///< signals and limits that stop the run early (its outputs then say complete: false)
  std::filesystem::path request_log{};  ///< where to write the per-request log (observe/request_log.h); empty: none
  /// 2: the prefill side on a thread of its own (Simulation); the results are the same as with 1. A command that
  /// runs many simulations at once (sweep, plan, compare) gives each one thread.
  int threads = 1;
};

/// Sees a finished run before its simulation is destroyed: the simulation (its metrics), the report, the wall time
/// of the run proper (parts built, no files written) in seconds.
using FinishedFn = std::function<void(const Simulation&, const observe::RunReport&, double wall_s)>;

/// Runs a scenario end to end with its production parts and returns its report; writes nothing. `finished` (may be
/// empty) is called once the run is over. Safe to call from several threads at once (each run owns all it uses).
observe::RunReport run_scenario(const Scenario& scenario, const RunControl& control, const FinishedFn& finished = {});

/// Runs a scenario end to end (run_scenario) and writes, into `out_dir`: summary.json,
/// resolved-scenario.json, hourly.csv, minutes.csv and latency-cdf.csv. Returns the report. A run stopped by
/// `control.stop` writes the same files, covering the simulated time it reached, with `report.complete` false.
observe::RunReport run_and_write(const Scenario& scenario, const std::filesystem::path& out_dir,
                                 const RunControl& control);

}  // namespace moesim::cluster
