// moesim run: simulate a scenario and write its report (summary.json, resolved-scenario.json, ledgers, CDFs).
//
// A run stops early, at the next event boundary, on SIGINT or SIGTERM (exit 130 or 143) or at a limit (exit 5:
// --max-in-flight, --max-rss-mb, --stop-after-events), and still writes its outputs, covering the simulated time it
// reached, with "complete": false in summary.json. A second signal ends the process at once.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "common/output_paths.h"
#include "common/scenario_file.h"
#include "sim/cluster/wiring.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/report.h"

namespace moesim::tools {

namespace {

// Defaults far above the reference day (docs/errors.md: about 340 k requests in flight at most, 110 MB), to catch a
// run that has run away (a fleet far too small for its traffic queues without bound) before it takes the machine.
constexpr int64_t kDefaultMaxInFlight = 10'000'000;
constexpr int64_t kDefaultMaxRssMb = 8192;

struct RunOptions {
  std::string scenario;
  std::string out = "out/run";
  int64_t seed = -1;
  double scale = 0.0;
  double drain_s = 86400.0;
  bool exact = false;
  std::vector<std::string> sets;
  int64_t max_in_flight = kDefaultMaxInFlight;
  int64_t max_rss_mb = kDefaultMaxRssMb;
  uint64_t stop_after_events = 0;
  std::string request_log;
  int threads = 2;
};

// The first SIGINT or SIGTERM received: a signal handler can reach only a global. The run loop reads it between
// events (cluster::StopRules::interrupt); the handler does nothing else.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free atomic");

extern "C" void on_stop_signal(int sig) {
  int none = 0;
  if (!g_stop_signal.compare_exchange_strong(none, sig)) _exit(kExitSignalBase + sig);  // a second signal: now
}

// Catches SIGINT and SIGTERM while it lives; puts the previous handlers back after.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

void run(const RunOptions& o) {
  std::vector<std::string> overrides = o.sets;
  if (o.seed >= 0) overrides.push_back(fmt::format("seed={}", o.seed));
  if (o.scale > 0) overrides.push_back(fmt::format("workload.scale={}", o.scale));
  auto doc = resolve_scenario(o.scenario, overrides);
  auto scenario = cluster::parse_scenario(doc, o.scenario);
  prepare_output_folder(o.out, "--out");  // before the run: a day must not end in a filesystem error
  if (!o.request_log.empty()) check_output_file(o.request_log, "--request-log");
  StopSignals signals;
  ProgressDisplay progress(fmt::format("run {}", scenario.name), scenario.horizon_s);
  cluster::RunControl control{.drain_s = o.drain_s,
                              .exact = o.exact,
                              .progress = progress.callback(),
                              .stop = {.interrupt = &g_stop_signal,
                                       .max_events = o.stop_after_events,
                                       .max_in_flight = o.max_in_flight,
                                       .max_rss_mb = o.max_rss_mb},
                              .request_log = o.request_log,
                              .threads = o.threads};
  auto report = cluster::run_and_write(scenario, o.out, control);
  progress.finish();
  print_report(report, scenario);
  fmt::print("wrote {}/summary.json, resolved-scenario.json, hourly.csv, minutes.csv, latency-cdf.csv\n", o.out);
  if (report.complete) return;
  fmt::print(stderr,
             "moesim run: stopped at simulated {:.3f} s: {}; the outputs cover the time reached (summary.json says "
             "\"complete\": false; {} requests were in flight)\n",
             report.simulated_s, report.stop_reason, report.conservation.requests_in_flight_at_end.total());
  int sig = g_stop_signal.load();
  throw ExitStatus{sig != 0 ? kExitSignalBase + sig : kExitRunLimit};
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "simulate a scenario and write its report");
  sub->add_option("scenario", opts->scenario, "scenario JSON file")->required()->check(CLI::ExistingFile);
  sub->add_option("--out", opts->out, "output folder")->capture_default_str();
  sub->add_option("--seed", opts->seed, "override the scenario's seed")->check(non_negative());
  sub->add_option("--scale", opts->scale,
                  "override workload.scale (below 1 thins the generated day, above 1 densifies it)")
      ->check(within(0.0, 100.0, true));
  sub->add_option("--drain-s", opts->drain_s, "how long requests in flight get to finish after the horizon")
      ->check(within(0.0, 30.0 * 86400.0))
      ->capture_default_str();
  sub->add_flag("--exact", opts->exact,
                "no approximation made for speed: every decode step computed from its loads, the expert-load table "
                "by adaptive quadrature (docs/performance.md compares both)");
  sub->add_option("--set", opts->sets, "override a field: key.path=value (repeatable)");
  sub->add_option("--max-in-flight", opts->max_in_flight,
                  "stop the run (exit 5, partial results) when more requests are in flight (0: no limit)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--max-rss-mb", opts->max_rss_mb,
                  "stop the run (exit 5, partial results) when the process's memory passes this many MB (0: no limit)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--stop-after-events", opts->stop_after_events,
                  "stop the run at the first window's end (10 simulated seconds at most) after this many events (exit 5, "
                  "partial results), as an interruption would")
      ->check(non_negative());
  sub->add_option("--threads", opts->threads,
                  "2: the prefill side on a thread of its own beside the decode side; 1: both on one (the results "
                  "are byte-identical)")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  sub->add_option(
      "--request-log", opts->request_log,
      "also write one CSV row per request as it leaves (serial, arrival, lengths, MTP decode steps, times)");
  sub->callback([opts] { run(*opts); });
}

}  // namespace moesim::tools
