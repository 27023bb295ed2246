// The `steady` autoscaler on its own (sim/policy/autoscaler_steady.h): the `slo` marks, but a crossing counts at
// once only beyond the measured noise (or while the demand rises by more than it), otherwise once it lasted
// persist_s; a decode backlog counts only as much as lasted; a unit goes once the demand stayed below the remove
// mark for persist_s. The decode pool below holds 1,000 sequences a unit at the SLO cap and a sequence holds its
// slot for 50 s, so 20 sequences/s are one unit's worth of demand; the prefill pool idles far inside its marks.
#include "sim/policy/autoscaler_steady.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <deque>
#include <vector>

#include "sim/policy/autoscaler.h"

using namespace moesim::policy;

namespace {

constexpr double kInterval = 300.0;
// Deterministic noise around a level, in decode units: its measured sigma is 0.061, so 3 sigmas are 0.18.
const std::vector<double> kNoise = {0.02, -0.03, 0.04, -0.01, -0.04, 0.03, 0.00, -0.02, 0.05, -0.03, 0.01, -0.02};

AutoscalerParams steady_params() {
  AutoscalerParams p;
  p.config.policy = "steady";
  p.config.interval_s = kInterval;
  p.config.warmup_s = 0.0;
  p.config.persist_s = 600.0;  // three observations
  p.config.noise_z = 3.0;
  p.config.noise_window_s = 3600.0;
  return p;
}

// An observation at decision `i` with 10 decode units held and `decode_units_busy` units' worth of decode demand.
FleetObservation at(int i, double decode_units_busy, int64_t decode_units = 10) {
  FleetObservation o;
  o.now_s = kInterval * i;
  o.prefill_units = 10;
  o.decode_units = decode_units;
  o.prefill_capacity_per_unit = 1e6;
  o.prefill_offered_tokens_per_s = 6e6;  // 6 units' worth: under 10 x 0.85 and above 9 x 0.55
  o.decode_capacity_per_unit = 1000;
  o.decode_hold_s = 50.0;
  o.decode_offered_per_s = 20.0 * decode_units_busy;
  o.arrivals_per_s = o.decode_offered_per_s;
  return o;
}

// Feeds an hour of noisy demand around 8.8 units (under the add mark 10 x 0.9 = 9) and returns the next decision's
// number.
int settle(AutoscalerPolicy& p) {
  for (int i = 0; i < static_cast<int>(kNoise.size()); ++i) {
    REQUIRE(p.decide(at(i, 8.8 + kNoise[static_cast<size_t>(i)])).decode_units == 10);
  }
  return static_cast<int>(kNoise.size());
}

}  // namespace

TEST_CASE("autoscaler steady: a single noisy interval just above the high mark adds no unit, where slo adds one") {
  auto steady = make_autoscaler(steady_params());
  int i = settle(*steady);
  auto spike = at(i, 9.1);  // 0.1 above the mark, within three sigmas of the measured noise
  CHECK(steady->decide(spike).decode_units == 10);
  CHECK(steady->decide(at(i + 1, 8.8)).decode_units == 10);
  AutoscalerParams slo = steady_params();
  slo.config.policy = "slo";
  CHECK(make_autoscaler(slo)->decide(spike).decode_units == 11);
}

TEST_CASE("autoscaler steady: a crossing that lasts adds a unit within the persistence span") {
  auto steady = make_autoscaler(steady_params());
  int i = settle(*steady);
  int64_t units = 10;
  int waited = 0;
  while (units == 10 && waited < 3) {
    units = steady->decide(at(i + waited, 9.1)).decode_units;
    ++waited;
  }
  CHECK(units == 11);  // ceil(9.1 / 0.9)
  CHECK(waited <= 3);  // persist_s / interval_s + 1 observations
}

TEST_CASE("autoscaler steady: a crossing far beyond the noise adds at once, as many units as it needs") {
  auto steady = make_autoscaler(steady_params());
  int i = settle(*steady);
  CHECK(steady->decide(at(i, 10.0)).decode_units == 12);  // ceil(10 / 0.9)
}

TEST_CASE("autoscaler steady: a sustained fall removes a unit once it lasted, one at a time") {
  auto steady = make_autoscaler(steady_params());
  int i = settle(*steady);
  // 5.0 units of demand: below 9 x 0.6 = 5.4, so the rest would stay under the remove mark.
  CHECK(steady->decide(at(i, 5.0)).decode_units == 10);
  CHECK(steady->decide(at(i + 1, 5.0)).decode_units == 10);
  CHECK(steady->decide(at(i + 2, 5.0)).decode_units == 9);
  CHECK(steady->decide(at(i + 3, 5.0, 9)).decode_units == 9);  // 5.0 is above 8 x 0.6 = 4.8: the rest stay
}

TEST_CASE("autoscaler steady: a burst of waiting decode sequences that drains within the persistence span adds none") {
  auto steady = make_autoscaler(steady_params());
  int i = settle(*steady);
  auto burst = at(i, 8.8);
  burst.decode_waiting = 12000;  // 12,000 x 50 / 300 = 2,000 slots: two units' worth over the backlog horizon
  CHECK(steady->decide(burst).decode_units == 10);
  CHECK(steady->decide(at(i + 1, 8.8)).decode_units == 10);
  AutoscalerParams slo = steady_params();
  slo.config.policy = "slo";
  CHECK(make_autoscaler(slo)->decide(burst).decode_units == 12);  // ceil(10.8 / 0.9)
}

TEST_CASE("autoscaler steady: prefill draining its queue into decode adds no decode unit, where slo adds one") {
  auto steady = make_autoscaler(steady_params());
  int i = settle(*steady);
  // Three intervals of sequences leaving prefill 5 % faster than they arrive: its backlog passing through.
  for (int k = 0; k < 3; ++k) {
    auto drain = at(i + k, 8.8);
    drain.decode_offered_per_s = 20.0 * 8.8 * 1.05;  // 9.24 units' worth
    CHECK(steady->decide(drain).decode_units == 10);
    AutoscalerParams slo = steady_params();
    slo.config.policy = "slo";
    CHECK(make_autoscaler(slo)->decide(drain).decode_units == 11);
  }
}

TEST_CASE("autoscaler steady: a small crossing counts at once while the demand rises fast beyond the noise") {
  auto steady = make_autoscaler(steady_params());
  // A noisy ramp of 0.15 units an interval, from about 7.2 to 8.85, then 9.05: within three sigmas of the mark (0.18),
  // but the trend alone carries the demand 0.3 units over the two intervals persistence would wait.
  for (int i = 0; i < 12; ++i) {
    REQUIRE(steady->decide(at(i, 7.2 + 0.15 * i + kNoise[static_cast<size_t>(i)])).decode_units == 10);
  }
  CHECK(steady->decide(at(12, 9.05)).decode_units == 11);
}

TEST_CASE("autoscaler steady: a slow drift across the mark within the noise waits for the crossing to last") {
  auto steady = make_autoscaler(steady_params());
  // 0.02 units an interval: 0.04 over the persistence span, under three sigmas (0.18).
  for (int i = 0; i < 12; ++i) {
    REQUIRE(steady->decide(at(i, 8.75 + 0.02 * i + kNoise[static_cast<size_t>(i)])).decode_units == 10);
  }
  CHECK(steady->decide(at(12, 9.05)).decode_units == 10);
}

TEST_CASE("autoscaler steady: decides as slo during the warm-up") {
  AutoscalerParams p = steady_params();
  p.config.warmup_s = 1800.0;
  auto steady = make_autoscaler(p);
  auto o = at(0, 9.1);
  o.now_s = 60.0;
  CHECK(steady->decide(o).decode_units == 11);
}

TEST_CASE("autoscaler steady: the noise is the robust spread of second differences, blind to a trend") {
  std::deque<PoolDemand> line;
  for (int i = 0; i < 12; ++i) line.push_back({1.0 + 0.5 * i, 0.0});
  CHECK(SteadyDriven::demand_noise(line, 12) == Approx(0.0).margin(1e-12));
  CHECK(SteadyDriven::trend_slope(line, 12) == Approx(0.5));
  std::deque<PoolDemand> alternating;
  for (int i = 0; i < 12; ++i) alternating.push_back({i % 2 == 0 ? 1.0 : -1.0, 0.0});
  // Second differences of +-1 are +-4; 1.4826 x 4 / sqrt(6).
  CHECK(SteadyDriven::demand_noise(alternating, 12) == Approx(1.4826 * 4.0 / std::sqrt(6.0)));
  CHECK(std::isinf(SteadyDriven::demand_noise(std::deque<PoolDemand>(2), 12)));
}

TEST_CASE("autoscaler steady: the same observations give the same decisions") {
  auto a = make_autoscaler(steady_params());
  auto b = make_autoscaler(steady_params());
  for (int i = 0; i < 40; ++i) {
    double busy = 8.0 + 0.05 * i + kNoise[static_cast<size_t>(i) % kNoise.size()];
    auto o = at(i, busy);
    CHECK(a->decide(o).decode_units == b->decide(o).decode_units);
  }
}
