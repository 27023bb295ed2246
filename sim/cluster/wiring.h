// Wiring: builds the production pieces of a run from its scenario — the step model over models/, the expert
// balance over the EPLB, the arrival source over traces/, the autoscaler controller — so that `moesim run` and the
// tests build runs one way; and runs a scenario end to end with them (run_outputs.h writes the files).
//
//   auto parts = moesim::cluster::build_run_parts(scenario);
//   Simulation sim(scenario, *parts.step_model, *parts.prefill_experts, *parts.decode_experts, *parts.source);
#pragma once

#include <filesystem>
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
};

/// Runs a scenario end to end with its production parts and writes, into `out_dir`: summary.json,
/// resolved-scenario.json, hourly.csv, minutes.csv and latency-cdf.csv. Returns the report. A run stopped by
/// `control.stop` writes the same files, covering the simulated time it reached, with `report.complete` false.
observe::RunReport run_and_write(const Scenario& scenario, const std::filesystem::path& out_dir,
                                 const RunControl& control);

}  // namespace moesim::cluster
