#include "sim/cluster/simulation.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace moesim::cluster {

namespace {

// The process's peak resident memory so far, in MB (Linux reports it in KB).
int64_t peak_rss_mb() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) / 1024;
}
}  // namespace

Simulation::Simulation(const Scenario& scenario, const StepModel& model, ExpertBalance& prefill_experts,
                       ExpertBalance& decode_experts, ArrivalSource& source, Autoscaler* autoscaler, int threads)
    : scenario_(scenario),
      source_(source),
      autoscaler_(autoscaler),
      threads_(&prefill_experts == &decode_experts ? 1 : std::clamp(threads, 1, 2)),
      horizon_ns_(engine::Duration::from_seconds(scenario.horizon_s).ns()),
      metrics_({scenario.economics, scenario.fleet.prefill.nodes_per_unit, scenario.fleet.decode.nodes_per_unit,
                scenario.slo.user_tokens_per_s}) {
  check_geometry(scenario_);
  signals_.subscribe(&metrics_);
  fleet_ = std::make_unique<Fleet>(model, prefill_experts, decode_experts, scenario_, signals_);
}

Simulation::~Simulation() = default;

void Simulation::report_progress(const ProgressFn& progress, int64_t now_ns) const {
  const auto c = fleet_->counts();
  progress({engine::Time::from_ns(now_ns), events_executed(), c.completed + c.rejected, c.arrived});
}

std::string Simulation::stop_reason(const StopRules& stop) const {
  if (stop.interrupt != nullptr) {
    if (int sig = stop.interrupt->load(std::memory_order_relaxed); sig != 0) {
      const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : nullptr;
      return name != nullptr ? fmt::format("interrupted by {}", name) : fmt::format("interrupted by signal {}", sig);
    }
  }
  if (stop.max_events > 0 && events_executed() >= stop.max_events) {
    return fmt::format("event limit: {} events executed (limit {})", events_executed(), stop.max_events);
  }
  if (stop.max_in_flight > 0 && fleet_->counts().in_flight() > stop.max_in_flight) {
    return fmt::format("in-flight limit: {} requests in flight (limit {})", fleet_->counts().in_flight(),
                       stop.max_in_flight);
  }
  if (stop.max_rss_mb > 0) {
    if (int64_t mb = peak_rss_mb(); mb > stop.max_rss_mb) {
      return fmt::format("memory limit: {} MB resident (limit {} MB)", mb, stop.max_rss_mb);
    }
  }
  return {};
}

void Simulation::run_prefill_window(int64_t end_ns, bool threaded) {
  const auto until = engine::Time::from_ns(end_ns);
  engine::Engine& engine = fleet_->prefill().engine();
  // Publishing costs an exchange of cache lines with the other thread: every 128 events, and at the end.
  constexpr uint32_t kPublishEvery = 128;
  uint32_t since = 0;
  while (engine.step_until(until)) {
    if (threaded && ++since == kPublishEvery) {
      since = 0;
      fleet_->link().publish();
      prefill_reached_.advance(engine.now().ns());  // every event before now has run
    }
  }
  fleet_->link().publish();
  if (threaded) prefill_reached_.advance(end_ns + 1);
}

bool Simulation::run_decode_window(int64_t end_ns, bool threaded) {
  int64_t reached = threaded ? prefill_reached_.value() : end_ns + 1;
  int64_t next_ns = 0;
  while (true) {
    switch (fleet_->decode().next(std::min(end_ns + 1, reached), next_ns)) {
      case DecodeSide::Next::kRan:
        continue;
      case DecodeSide::Next::kAllLeft:
        return false;
      case DecodeSide::Next::kNothingDue:
        if (reached > end_ns) return true;
        // Wait until the prefill side has passed the next item known (or ended its window): an earlier item can
        // only come from it, and it publishes it by then. With none known, for any progress.
        reached = prefill_reached_.wait_beyond(next_ns == INT64_MAX ? reached : std::min(next_ns, end_ns));
    }
  }
}

void Simulation::prefill_thread() {
  int64_t done = INT64_MIN;
  try {
    while (true) {
      int64_t end = window_open_.wait_beyond(done);
      if (end == kStopThread) return;
      run_prefill_window(end, true);
      done = end;
    }
  } catch (...) {
    prefill_error_ = std::current_exception();
    prefill_reached_.advance(kStopThread);  // the decode side stops waiting; the error is raised there
  }
}

observe::RunReport Simulation::run(double drain_s, const ProgressFn& progress, const StopRules& stop) {
  fleet_->prefill().start(source_, horizon_ns_);
  const int64_t limit_ns = (engine::Time::from_ns(horizon_ns_) + engine::Duration::from_seconds(drain_s)).ns();
  const bool threaded = threads_ == 2;
  std::thread prefill;
  auto stop_prefill = [&] {
    if (prefill.joinable()) {
      window_open_.advance(kStopThread);
      prefill.join();
    }
  };
  if (threaded) prefill = std::thread([this] { prefill_thread(); });
  std::string stopped;  // why the run stopped before it was done ("" when it was not stopped)
  bool all_left = false;
  int64_t next_tick_ns = autoscaler_ != nullptr ? 0 : INT64_MAX;
  int64_t at = -1;  // where both sides stand: every event up to it has run
  try {
    while (true) {
      // A window: every event up to its end (inclusive), the next multiple of 10 s at most.
      int64_t grid = at < 0 ? 0 : (at / kWindowNs + 1) * kWindowNs;
      int64_t end = std::min({grid, next_tick_ns, limit_ns});
      if (threaded) {
        window_open_.advance(end);
      } else {
        run_prefill_window(end, false);
      }
      all_left = !run_decode_window(end, threaded);
      if (threaded) prefill_reached_.wait_beyond(end);  // the prefill side has ended the window
      if (prefill_error_) std::rethrow_exception(prefill_error_);
      at = end;
      if (all_left) break;
      // Both sides stand at `at`: the autoscaler's tick, then the checks.
      if (at == next_tick_ns) {
        fleet_->prefill().engine().advance_to(engine::Time::from_ns(at));
        fleet_->decode().engine().advance_to(engine::Time::from_ns(at));
        engine::Time next = autoscaler_->tick(engine::Time::from_ns(at), *fleet_);
        bool busy = !fleet_->prefill().arrivals_done() || fleet_->counts().in_flight() > 0;
        next_tick_ns = busy && next.ns() > at ? next.ns() : INT64_MAX;
      }
      if (progress) report_progress(progress, at);
      stopped = stop_reason(stop);
      if (!stopped.empty() || at >= limit_ns) break;
      // Nothing left anywhere (no autoscaler tick either): the run is over, as far as it got.
      if (next_tick_ns == INT64_MAX && fleet_->prefill().engine().pending() == 0 && fleet_->decode().empty()) break;
    }
  } catch (...) {
    stop_prefill();
    throw;
  }
  stop_prefill();
  if (progress) report_progress(progress, std::max(at, fleet_->decode().last_left_ns()));
  return report(at, all_left, stopped);
}

observe::RunReport Simulation::run_sides_apart(double drain_s) {
  if (autoscaler_ != nullptr) throw std::logic_error("run_sides_apart: an autoscaler needs both sides at one time");
  fleet_->prefill().start(source_, horizon_ns_);
  const int64_t limit_ns = (engine::Time::from_ns(horizon_ns_) + engine::Duration::from_seconds(drain_s)).ns();
  // The prefill side to the end, window by window, all of it sent over the link.
  for (int64_t end = 0;; end = std::min(end + kWindowNs, limit_ns)) {
    run_prefill_window(end, false);
    if (end >= limit_ns || fleet_->prefill().engine().pending() == 0) break;
  }
  // Then the decode side alone, from the link.
  bool all_left = false;
  int64_t at = 0;
  for (int64_t end = 0;; end = std::min(end + kWindowNs, limit_ns)) {
    all_left = !run_decode_window(end, false);
    at = end;
    if (all_left || end >= limit_ns || fleet_->decode().empty()) break;
  }
  return report(at, all_left, "");
}

observe::RunReport Simulation::report(int64_t at, bool all_left, const std::string& stopped) {
  // A finished run ends when the last request left, and no earlier than the horizon; one that passed its limit or ran
  // out of events, where its sides got to; a stopped one, where it stopped.
  int64_t end_ns = at;
  if (all_left) {
    end_ns = std::max(fleet_->decode().last_left_ns(), horizon_ns_);
  } else if (stopped.empty()) {
    end_ns = std::max(at, horizon_ns_);
  }
  metrics_.finish(end_ns);
  observe::RunFacts facts{.scenario = scenario_.name,
                          .seed = scenario_.seed,
                          .counts = fleet_->counts(),
                          .events_executed = events_executed(),
                          .source = source_.stats(),
                          .autoscaler = autoscaler_ != nullptr ? autoscaler_->stats() : std::nullopt,
                          .stop_reason = stopped};
  return observe::make_report(metrics_, facts);
}

}  // namespace moesim::cluster
