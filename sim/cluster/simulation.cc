#include "sim/cluster/simulation.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <csignal>

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

// The process's peak resident memory so far, in MB (Linux reports it in KB).
int64_t peak_rss_mb() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) / 1024;
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
    engine_.hold(engine::Time::from_ns(next_.arrival_ns), *this, kArrival);  // beside the queue: one at a time
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

std::string Simulation::stop_reason(const StopRules& stop, bool memory) const {
  if (stop.interrupt != nullptr) {
    if (int sig = stop.interrupt->load(std::memory_order_relaxed); sig != 0) {
      const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : nullptr;
      return name != nullptr ? fmt::format("interrupted by {}", name) : fmt::format("interrupted by signal {}", sig);
    }
  }
  if (stop.max_events > 0 && engine_.stats().executed >= stop.max_events) {
    return fmt::format("event limit: {} events executed (limit {})", engine_.stats().executed, stop.max_events);
  }
  if (stop.max_in_flight > 0 && fleet_->counts().in_flight() > stop.max_in_flight) {
    return fmt::format("in-flight limit: {} requests in flight (limit {})", fleet_->counts().in_flight(),
                       stop.max_in_flight);
  }
  if (memory && stop.max_rss_mb > 0) {
    if (int64_t mb = peak_rss_mb(); mb > stop.max_rss_mb) {
      return fmt::format("memory limit: {} MB resident (limit {} MB)", mb, stop.max_rss_mb);
    }
  }
  return {};
}

observe::RunReport Simulation::run(double drain_s, const ProgressFn& progress, const StopRules& stop) {
  pull_next_arrival();
  if (autoscaler_ != nullptr) engine_.schedule_at(engine::Time::zero(), *this, kAutoscale);
  auto limit = engine::Time::from_ns(horizon_ns_) + engine::Duration::from_seconds(drain_s);
  std::string stopped;  // why the run stopped before it was done ("" when it was not stopped)
  uint64_t since_check = 0;
  while (true) {
    // Once arrivals are over and nothing is in flight, only housekeeping events are left.
    if (arrivals_done_ && fleet_->counts().in_flight() == 0) break;
    // Every 65,536 events: progress and the memory check (a system call); the cheap rules at every event.
    bool periodic = ++since_check >= (1u << 16);
    if (periodic) {
      since_check = 0;
      if (progress) report_progress(progress);
    }
    if (periodic || stop_due(stop)) {
      stopped = stop_reason(stop, periodic);
      if (!stopped.empty()) {
        if (engine_.next_time() > limit) stopped.clear();  // nothing was left to run: the run is complete
        break;
      }
    }
    if (!engine_.step_until(limit)) break;
  }
  if (progress) report_progress(progress);  // where it ended
  // A stopped run ends where it stopped; a finished one no earlier than the horizon.
  int64_t end_ns = stopped.empty() ? std::max(engine_.now().ns(), horizon_ns_) : engine_.now().ns();
  metrics_.finish(end_ns);
  observe::RunFacts facts{.scenario = scenario_.name,
                          .seed = scenario_.seed,
                          .counts = fleet_->counts(),
                          .events_executed = engine_.stats().executed,
                          .source = source_.stats(),
                          .autoscaler = autoscaler_ != nullptr ? autoscaler_->stats() : std::nullopt,
                          .stop_reason = stopped};
  return observe::make_report(metrics_, facts);
}

}  // namespace moesim::cluster
