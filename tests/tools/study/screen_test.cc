// The analytic screen (tools/study/screen.h) against what the simulation counts: node-time and cost over the horizon
// and the drain after it. The scenario is the sweep tests' tiny steady-small (a fixed fleet of one prefill and one
// decode unit, 60 simulated seconds): its drain is a large share of its run, so leaving it out shows plainly.
#include "tools/study/screen.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/scenario_file.h"
#include "sim/cluster/simulation.h"
#include "sim/cluster/wiring.h"

namespace {

moesim::cluster::Scenario tiny(const std::vector<std::string>& more = {}) {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/steady-small.json";
  std::vector<std::string> overrides = {"horizon_s=60", "experts.skew=\"uniform\"", "experts.eplb=\"none\""};
  overrides.insert(overrides.end(), more.begin(), more.end());
  auto doc = moesim::resolve_scenario(file, overrides);
  return moesim::cluster::parse_scenario(doc, file);
}

}  // namespace

TEST_CASE("screen: the node-time and cost include the drain after the horizon, as the simulation's do") {
  using moesim::study::screen;
  auto s = tiny();
  auto demand = moesim::study::measure_demand(s);
  auto r = screen(s, demand);
  const double simulated_s = r.figure("simulated_s");
  CHECK(simulated_s > 60.0);
  const double nodes = 4.0 + 18.0;  // the fixed fleet, held through the drain
  CHECK(r.figure("nodes_avg") == Approx(nodes));
  const auto& rate = s.economics.prefill;  // one kind: both pools at one rate
  CHECK(r.figure("cost_usd") ==
        Approx(nodes * simulated_s / 3600.0 * static_cast<double>(rate.gpus_per_node) * rate.usd_per_gpu_hour));
  // Without a drain (a run with --drain-s 0) the node-time ends at the horizon.
  auto cut = screen(s, demand, 0.0);
  CHECK(cut.figure("simulated_s") == 60.0);
  CHECK(cut.figure("cost_usd") == Approx(r.figure("cost_usd") * 60.0 / simulated_s));
  // The simulation's own end: the screen's drain is an estimate (the last hour's longest output, arriving at the
  // horizon), so the two agree only roughly; without the drain the screen would be short by all of it.
  auto report = moesim::cluster::run_scenario(s, {});
  INFO("simulated " << report.simulated_s << " s, screened " << simulated_s << " s");
  CHECK(report.simulated_s > 60.0);
  CHECK(simulated_s - 60.0 == Approx(report.simulated_s - 60.0).epsilon(0.5));
}

// Validation against the simulation, steady-small as it stands (40 requests/s, 600 s, one 4-node prefill unit):
// the prefill unit steps in lockstep, a step waits for its largest rank share, a request waits out the step in
// progress and the step that computes it, and extra steps when its rank's share overflows the chunk. Measured on
// 2026-12-07: screen 3.41 / 4.33 s against the simulation's 3.89 / 4.94 s (TTFT p50 / p90); before this model the
// screen said 1.69 / 3.67 s. Tolerance: 20 % on p50 and 25 % on p90 (the screen's figures come from formulas, the
// simulation's are one seed's quantiles).
TEST_CASE("screen: TTFT waits out the step in progress and one lockstep step, within 25 % of the simulation") {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/steady-small.json";
  auto s = moesim::cluster::parse_scenario(moesim::resolve_scenario(file, {}), file);
  auto r = moesim::study::screen(s, moesim::study::measure_demand(s));
  auto report = moesim::cluster::run_scenario(s, {});
  INFO("screen " << r.figure("ttft_p50_s") << " / " << r.figure("ttft_p90_s") << " s, simulation "
                 << report.latency.ttft_p50_s << " / " << report.latency.ttft_p90_s << " s");
  CHECK(r.figure("ttft_p50_s") == Approx(report.latency.ttft_p50_s).epsilon(0.20));
  CHECK(r.figure("ttft_p90_s") == Approx(report.latency.ttft_p90_s).epsilon(0.25));
}

TEST_CASE("screen: a mixed candidate steps each pool on its own kind and prices each at its kind's rate") {
  using moesim::study::screen;
  const auto mixed = tiny({"fleet.prefill.hardware=\"h200\"", "fleet.decode.hardware=\"h800\""});
  const auto demand = moesim::study::measure_demand(mixed);
  const auto r = screen(mixed, demand);
  const auto all_h200 = screen(tiny({"hardware=\"h200\""}), demand);
  const auto all_h800 = screen(tiny(), demand);
  // The TTFT is the prefill pool's (on H200s), the per-user speed the decode pool's (on H800s).
  CHECK(r.figure("ttft_p90_s") == all_h200.figure("ttft_p90_s"));
  CHECK(r.figure("ttft_p90_s") != all_h800.figure("ttft_p90_s"));
  CHECK(r.figure("user_tokens_per_s_mean") == all_h800.figure("user_tokens_per_s_mean"));
  CHECK(r.figure("user_tokens_per_s_mean") != all_h200.figure("user_tokens_per_s_mean"));
  // The fixed fleet's node-time, each pool at its spec's price: 4 H200 nodes at $4 and 18 H800 nodes at $2 a GPU.
  const double hours = r.figure("simulated_s") / 3600.0;
  CHECK(r.figure("cost_usd") == Approx(4 * hours * 8 * 4.0 + 18 * hours * 8 * 2.0));
}

// Validation against the simulation: bench-decode-heavy (600 requests/s into one EP144 decode unit, SLO 18 tokens/s;
// 600 s here) holds the unit at its batch cap, every rank full. The cap is found at uniform ranks, as the unit finds
// it, but the step waits for the rank that holds the most KV, so the per-user speed falls below the SLO. Measured on
// 2026-12-08: the simulation's speed p10 16.53 tokens/s; the screen's 18.31 before it stepped a busy unit over the
// demand's sample (busy_decode_step_ratio), 16.55 after. Tolerance 3 % (the simulation's figure is one seed's
// quantile, on bins 1 % wide).
TEST_CASE(
    "screen: a decode unit held at its cap is as slow as the simulation's whose step waits for its fullest rank") {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/bench-decode-heavy.json";
  auto s = moesim::cluster::parse_scenario(moesim::resolve_scenario(file, {"horizon_s=600"}), file);
  auto r = moesim::study::screen(s, moesim::study::measure_demand(s));
  auto report = moesim::cluster::run_scenario(s, {});
  INFO("speed p10: screen " << r.figure("user_tokens_per_s_p10") << ", simulation "
                            << report.latency.user_tokens_per_s_p10);
  CHECK(r.figure("user_tokens_per_s_p10") == Approx(report.latency.user_tokens_per_s_p10).epsilon(0.03));
}

TEST_CASE("screen: a busy decode unit's step is longest when every rank is full and the balancer has no choice") {
  using moesim::study::busy_decode_step_ratio;
  const auto s = tiny();
  const auto demand = moesim::study::measure_demand(s);
  const double full = busy_decode_step_ratio(s, demand, 64, 64);
  const double room = busy_decode_step_ratio(s, demand, 51, 64);  // a fifth of the slots free
  INFO("ratio at the cap " << full << ", at 80 % of it " << room);
  CHECK(room >= 1.0);
  CHECK(full > room);
  CHECK(busy_decode_step_ratio(s, demand, 51, 64) == room);  // the sample and the draws are seeded
}

TEST_CASE("screen: a saturated unit's chunks are full of short fresh prompts and cut short by long contexts") {
  using moesim::study::PrefillSample;
  const auto s = tiny();  // one 4-node prefill unit: 32 ranks, chunks of 16,384 tokens, the published balancer
  const auto parts = moesim::cluster::build_run_parts(s);
  const std::vector<PrefillSample> fresh(20000, PrefillSample{1000, 0});
  const auto full = moesim::study::saturated_unit_fill(fresh, s, *parts.step_model);
  CHECK(full.fill == Approx(1.0));
  CHECK(full.chunks > 16.9);  // 16 whole prompts and the parts of one or two more
  CHECK(full.chunks < 18.1);
  // 1,000 new tokens on 20,000 cached: about 20,500 pairs a token, so the 134.2 M pairs of a fresh chunk take
  // about 6,550 tokens a step.
  const std::vector<PrefillSample> cached(20000, PrefillSample{1000, 20000});
  CHECK(moesim::study::saturated_unit_fill(cached, s, *parts.step_model).fill == Approx(6550.0 / 16384).epsilon(0.02));
  // Too few requests to keep the queues long: no step is saturated, and the fill says so by being the whole chunk.
  CHECK(moesim::study::saturated_unit_fill({}, s, *parts.step_model).fill == 1.0);
}

// Validation against the simulation: one prefill unit of 2, 4 or 8 nodes fed the reference day's request mix at
// about twice what it computes (steady-small at 300 requests/s a 8 nodes, scaled), so every rank's queue is long
// for the whole 300 s. The simulation's new tokens computed per second of stepping is what the screen's backlog
// drains at. Measured on 2026-12-07: a saturated rank computes 85-87 % of a chunk a step (the pair budget cuts
// long contexts short) and the unit 73-79 % of the controller's capacity figure. Tolerance 5 %: the screen steps
// one rank over a 4,096-request sample and assumes one rank at the pair budget in every step; the simulation's
// ranks hold the balancer's mix.
TEST_CASE("screen: a saturated prefill unit computes what the screen's fill says within 5 % of the simulation") {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/steady-small.json";
  for (int nodes : {2, 4, 8}) {
    const std::vector<std::string> sets = {"horizon_s=300", "workload.rate_per_s=" + std::to_string(300 * nodes / 8),
                                           "fleet.prefill.nodes_per_unit=" + std::to_string(nodes),
                                           "fleet.prefill.redundant_experts=" + std::to_string(nodes == 8 ? 64 : 32),
                                           "fleet.decode.units=4"};
    auto s = moesim::cluster::parse_scenario(moesim::resolve_scenario(file, sets), file);
    const double screened = moesim::study::saturated_prefill_tokens_per_s(s, moesim::study::measure_demand(s), 0);
    moesim::cluster::RunControl control;
    control.drain_s = 0.0;  // the queues are long at the horizon: what counts is what was computed by then
    auto report = moesim::cluster::run_scenario(s, control);
    const double simulated = static_cast<double>(report.tokens.prefill_computed) / report.steps.prefill_busy_s;
    INFO(nodes << "-node unit: screen " << screened << " new tokens/s, simulation " << simulated);
    CHECK(screened == Approx(simulated).epsilon(0.05));
  }
}
