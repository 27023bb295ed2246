#include "tools/progress.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace moesim::tools {

namespace {
constexpr auto kInterval = std::chrono::milliseconds(250);
}

ProgressDisplay::ProgressDisplay(std::string what, double horizon_s)
    : what_(std::move(what)),
      horizon_s_(horizon_s),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {
  if (!terminal_) fmt::print(stderr, "moesim {}: started\n", what_);
}

ProgressDisplay::ProgressDisplay(std::string what, RunCount runs) : ProgressDisplay(std::move(what), 0.0) {
  runs_total_ = runs.total;
}

void ProgressDisplay::run_done(uint64_t events, int64_t requests) {
  ++runs_done_;
  latest_.events += events;
  latest_.requests_done += requests;
  if (runs_done_ == runs_total_) last_ = start_;  // the last run always shows
  tick();
}

void ProgressDisplay::tick() {
  if (!terminal_ || runs_total_ < 0) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < kInterval) return;
  last_ = now;
  double wall = std::chrono::duration<double>(now - start_).count();
  // The time left at the pace of the runs done so far (unknown until one is done).
  std::string eta = runs_done_ > 0 ? fmt::format("{:.0f} s", wall * static_cast<double>(runs_total_ - runs_done_) /
                                                                 static_cast<double>(runs_done_))
                                   : std::string("?");
  fmt::print(stderr, "\r  {}: {} of {} runs done, {:.0f} s, ETA {}   ", what_, runs_done_, runs_total_, wall, eta);
}

cluster::ProgressFn ProgressDisplay::callback() {
  return [this](const cluster::RunProgress& p) { update(p); };
}

void ProgressDisplay::update(const cluster::RunProgress& p) {
  latest_ = p;
  peak_in_flight_ = std::max(peak_in_flight_, p.requests_in - p.requests_done);
  if (!terminal_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < kInterval) return;
  last_ = now;
  double wall = std::chrono::duration<double>(now - start_).count();
  double frac = horizon_s_ > 0 ? std::clamp(p.now.seconds() / horizon_s_, 0.0, 1.0) : 0.0;
  double eta = frac > 0 ? wall * (1 - frac) / frac : 0.0;
  fmt::print(stderr, "\r  {}: simulated {} ({:.0f} %), {:.2f} M requests done, {:.2f} M events/s, ETA {:.0f} s   ",
             what_, engine::to_string(p.now), frac * 100, static_cast<double>(p.requests_done) / 1e6,
             static_cast<double>(p.events) / std::max(wall, 1e-9) / 1e6, eta);
}

void ProgressDisplay::finish() {
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (terminal_) fmt::print(stderr, "\n");
  std::string runs = runs_total_ >= 0 ? fmt::format("{} runs, ", runs_done_) : std::string();
  // One run: the peaks of requests in flight (sampled at each update, every 65,536 events) and of resident memory,
  // what --max-in-flight and --max-rss-mb are set against.
  std::string peaks;
  if (runs_total_ < 0) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    peaks = fmt::format("; about {} requests in flight at most, {} MB resident at most", peak_in_flight_,
                        usage.ru_maxrss / 1024);
  }
  fmt::print(stderr, "moesim {}: done in {:.1f} s ({}{:.2f} M events/s, {:.0f} k simulated requests/s{})\n", what_,
             wall, runs, static_cast<double>(latest_.events) / std::max(wall, 1e-9) / 1e6,
             static_cast<double>(latest_.requests_done) / std::max(wall, 1e-9) / 1e3, peaks);
}

}  // namespace moesim::tools
