#include "sim/cluster/wiring.h"

#include <chrono>
#include <optional>

#include "sim/cluster/arrivals.h"
#include "sim/cluster/expert_balance.h"
#include "sim/cluster/model_step.h"
#include "sim/cluster/node_schedule.h"
#include "sim/cluster/run_outputs.h"
#include "sim/observe/request_log.h"
#include "traces/day_profile.h"

namespace moesim::cluster {

namespace {

// Perfectly balanced routing: the most-loaded GPU carries the mean (DeepSeek's published profiles force this).
struct EvenExperts final : ExpertBalance {
  double max_factor(double, engine::Time) override { return 1.0; }
};

}  // namespace

policy::AutoscalerParams autoscaler_params(const Scenario& s) {
  policy::AutoscalerParams p{.config = s.autoscaler, .seed = s.seed, .day_offset_s = s.workload.start_s};
  if (!s.autoscaler.schedule.empty()) p.schedule = read_node_schedule(resolve_path(s, s.autoscaler.schedule));
  // The forecast's raw material: the generated day's hourly shape (the policy perturbs and shifts it).
  if (s.autoscaler.policy == "forecast" && s.workload.kind == "generator") {
    p.forecast_hourly_shares = traces::load_day_profile(s.workload.profile).hourly_shares;
  }
  return p;
}

RunParts build_run_parts(const Scenario& s, bool exact) {
  RunParts parts;
  parts.step_model = std::make_unique<ModelStep>(s, exact);
  auto skew = cost::parse_skew_spec(s.experts.skew, "experts.skew");
  if (skew.family == cost::SkewFamily::kUniform && s.experts.eplb == "none") {
    // Perfectly balanced routing (DeepSeek's published profiles force it): no placement to model.
    parts.prefill_experts = std::make_unique<EvenExperts>();
    parts.decode_experts = std::make_unique<EvenExperts>();
  } else {
    policy::EplbPlannerConfig planner;
    planner.interval_ns = engine::Duration::from_seconds(s.experts.replan_interval_s).ns();
    planner.window_ns = engine::Duration::from_seconds(s.experts.window_s).ns();
    auto make = [&](const llm::UnitGeometry& geometry, const char* stream) {
      return std::make_unique<EplbExpertBalance>(skew, s.experts.eplb, geometry, planner,
                                                 Rng::stream(s.seed, stream).next_u64(), exact);
    };
    // One popularity per pool, the same for every unit of it (they serve the same traffic); its own RNG stream.
    parts.prefill_experts = make(s.geometry.prefill, "cluster.experts.prefill");
    parts.decode_experts = make(s.geometry.decode, "cluster.experts.decode");
  }
  parts.source = make_arrivals(s);
  auto autoscaler = policy::make_autoscaler(autoscaler_params(s));
  // A policy that never changes the fleet needs no controller: nothing ticks, nothing is observed.
  if (!autoscaler->static_fleet()) {
    parts.autoscaler = std::make_unique<AutoscalerDriver>(std::move(autoscaler), s, *parts.step_model);
  }
  return parts;
}

observe::RunReport run_scenario(const Scenario& scenario, const RunControl& control, const FinishedFn& finished) {
  RunParts parts = build_run_parts(scenario, control.exact);
  Simulation sim(scenario, *parts.step_model, *parts.prefill_experts, *parts.decode_experts, *parts.source,
                 parts.autoscaler.get(), control.threads);
  if (parts.autoscaler) sim.signals().subscribe(parts.autoscaler.get());
  std::optional<observe::RequestLog> log;
  if (!control.request_log.empty()) sim.signals().subscribe(&log.emplace(control.request_log, parts.source->models()));
  auto wall_start = std::chrono::steady_clock::now();
  observe::RunReport report = sim.run(control.drain_s, control.progress, control.stop);
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (log) log->close();
  if (finished) finished(sim, report, wall_s);
  return report;
}

observe::RunReport run_and_write(const Scenario& scenario, const std::filesystem::path& out_dir,
                                 const RunControl& control) {
  return run_scenario(scenario, control, [&](const Simulation& sim, const observe::RunReport& report, double wall_s) {
    write_run_outputs(out_dir, scenario, report, sim.metrics(), wall_s);
  });
}

}  // namespace moesim::cluster
