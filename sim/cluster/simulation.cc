#include "sim/cluster/simulation.h"

namespace moesim::cluster {

namespace {
constexpr uint64_t kArrival = 0;
constexpr uint64_t kAutoscale = 1;

observe::MetricsConfig metrics_config_of(const Scenario& s) {
  observe::MetricsConfig c;
  c.prices = prices_of(s);
  c.prefill_nodes_per_unit = s.fleet.prefill.nodes_per_unit;
  c.decode_nodes_per_unit = s.fleet.decode.nodes_per_unit;
  c.slo_user_tokens_per_s = s.slo.user_tokens_per_s;
  return c;
}
}  // namespace

observe::Prices prices_of(const Scenario& s) {
  observe::Prices p;
  p.usd_per_gpu_hour = s.economics.usd_per_gpu_hour;
  p.usd_per_m_cache_hit = s.economics.usd_per_m_input_cache_hit;
  p.usd_per_m_cache_miss = s.economics.usd_per_m_input_cache_miss;
  p.usd_per_m_output = s.economics.usd_per_m_output;
  p.gpus_per_node = s.geometry.prefill.gpus_per_node;
  return p;
}

Simulation::Simulation(const Scenario& scenario, const StepModel& model, ExpertBalance& prefill_experts,
                       ExpertBalance& decode_experts, ArrivalSource& source, Autoscaler* autoscaler)
    : scenario_(scenario),
      source_(source),
      autoscaler_(autoscaler),
      metrics_(metrics_config_of(scenario)),
      horizon_ns_(engine::Duration::from_seconds(scenario.horizon_s).ns()) {
  check_geometry(scenario_);
  signals_.subscribe(&metrics_);
  fleet_ = std::make_unique<Fleet>(engine_, model, prefill_experts, decode_experts, scenario_, signals_);
}

Simulation::~Simulation() = default;

void Simulation::pull_next_arrival() {
  while (source_.next(next_)) {
    if (next_.arrival_ns >= horizon_ns_) {
      ++arrivals_beyond_horizon_;  // the run stops admitting at the horizon; the rest of the source is not read
      break;
    }
    if (next_.arrival_ns < engine_.now().ns()) next_.arrival_ns = engine_.now().ns();
    engine_.schedule_at(engine::Time::from_ns(next_.arrival_ns), *this, kArrival);
    return;
  }
  arrivals_done_ = true;
}

void Simulation::on_event(uint64_t payload) {
  if (payload == kArrival) {
    fleet_->arrive(next_);
    pull_next_arrival();
  } else if (payload == kAutoscale && autoscaler_ != nullptr) {
    engine::Time next = autoscaler_->tick(engine_.now(), *fleet_);
    bool busy = !arrivals_done_ || fleet_->counts().in_flight() > 0;
    if (busy && next > engine_.now()) engine_.schedule_at(next, *this, kAutoscale);
  }
}

void Simulation::report_progress(const ProgressFn& progress) const {
  const auto& c = fleet_->counts();
  progress({engine_.now(), engine_.stats().executed, c.completed + c.rejected, c.arrived});
}

observe::RunReport Simulation::run(double drain_s, const ProgressFn& progress) {
  pull_next_arrival();
  if (autoscaler_ != nullptr) engine_.schedule_at(engine::Time::zero(), *this, kAutoscale);
  auto limit = engine::Time::from_ns(horizon_ns_) + engine::Duration::from_seconds(drain_s);
  uint64_t since_progress = 0;
  while (true) {
    engine::Time next = engine_.next_time();
    if (next == engine::Time::max() || next > limit) break;
    // Once arrivals are over and nothing is in flight, only housekeeping events are left.
    if (arrivals_done_ && fleet_->counts().in_flight() == 0) break;
    engine_.step();
    if (progress && ++since_progress >= (1u << 16)) {
      since_progress = 0;
      report_progress(progress);
    }
  }
  if (progress) report_progress(progress);  // where it ended
  int64_t end_ns = std::max(engine_.now().ns(), horizon_ns_);
  metrics_.finish(end_ns);
  observe::RunFacts facts{.scenario = scenario_.name,
                          .seed = scenario_.seed,
                          .counts = fleet_->counts(),
                          .events_executed = engine_.stats().executed,
                          .source = source_.stats(),
                          .autoscaler = autoscaler_ != nullptr ? autoscaler_->stats() : std::nullopt};
  return observe::make_report(metrics_, facts);
}

}  // namespace moesim::cluster
