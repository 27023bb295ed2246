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
  // The peak in flight is sampled at each update (every 65,536 events): what --max-in-flight is set against.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print(stderr,
             "moesim {}: done in {:.1f} s ({:.2f} M events/s, {:.0f} k simulated requests/s; about {} requests in "
             "flight at most, {} MB resident at most)\n",
             what_, wall, static_cast<double>(latest_.events) / std::max(wall, 1e-9) / 1e6,
             static_cast<double>(latest_.requests_done) / std::max(wall, 1e-9) / 1e3, peak_in_flight_,
             usage.ru_maxrss / 1024);
}

}  // namespace moesim::tools
