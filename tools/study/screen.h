// The analytic screen of `moesim plan`: a candidate's figures from its own step model and the workload's demand hour
// by hour, in a fraction of a second, without simulating. Per hour it finds the decode batch cap at the SLO and a
// prefill unit's full-step capacity as the simulation's controller computes it, lets the scenario's own autoscaler
// policy decide the units (its decide() called every interval with that interval's load and what a run's driver
// would see queued: the tokens a lockstep unit holds, the step in progress and the arrivals since it began, beside
// any backlog; units added serve after the start-up time), and prices the node-time (the drain after the horizon
// included). A backlog builds when the load passes what a saturated unit really computes: its ranks stepped over a
// sample of the workload's requests with the scenario's balancer and the unit's chunk and pair budgets
// (saturated_unit_fill), on the reference day 73-79 % of the controller's figure, so a controller mark above that
// lets a queue stand. TTFT follows the prefill unit's lockstep: the rest of the step in progress, then the step that
// computes the request, whose length is set by the largest rank share (lumpy: whole requests), plus extra steps when
// a share overflows and a backlog's drain; per-user speed comes from the decode step at the interval's batch, a busy
// unit's (its ranks' uneven KV, from one unit filled from a sample of the requests by the scenario's balancer:
// busy_decode_step_ratio). They miss part of what the simulation exists for (the controller's noisy decisions on a
// ramp, bursts), and docs/planning.md measures the screen against the simulation on stratified samples.
//
//   WorkloadDemand demand = measure_demand(scenario);  // once per workload: reads its arrival source
//   ScreenResult r = screen(scenario, demand);         // per candidate
//   double cost = r.figure("cost_usd");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/cluster/scenario.h"
#include "sim/cluster/step_model.h"

namespace moesim::study {

/// One request as a prefill rank computes it: its new tokens and the cached prefix they attend to.
struct PrefillSample {
  double new_tokens = 0;
  double cached_tokens = 0;
};

/// The requests that arrive in one hour of the run, summed.
struct HourDemand {
  double requests = 0;
  double new_tokens = 0;     ///< input minus cached prefix
  double new_tokens_sq = 0;  ///< sum of new_tokens^2 (how lumpy a prefill rank's share of a step is)
  double input_tokens = 0;
  double cached_tokens = 0;
  double output_tokens = 0;
  double attention_pairs = 0;  ///< core-attention pairs of their prefills
  double kv_output = 0;  ///< sum of output x (input + output / 2): a sequence's KV weighted by the time it decodes
  double max_output_tokens = 0;  ///< the longest output read (not weighted: a thinned day's is its sample's)
};

/// The arrivals of one short bin: what the controller's intervals see of a ramp inside an hour.
struct BinDemand {
  double requests = 0;
  double new_tokens = 0;
  double output_tokens = 0;
};

/// One request of the sample a decode unit is stepped over (busy_decode_step_ratio).
struct DecodeSample {
  int32_t input_tokens = 0;
  int32_t output_tokens = 0;
  uint64_t serial = 0;  ///< its place in the arrival source's order: the key of its MTP draws, as in a run
};

/// The workload's demand hour by hour, as the run's arrival source delivers it, and its rates bin by bin.
struct WorkloadDemand {
  static constexpr size_t kDecodeSample = size_t{1} << 15;  ///< requests kept in `decode_sample`
  static constexpr double kBinS = 300.0;                    ///< the bins' length: the reference controller's interval
  double horizon_s = 0;
  std::vector<HourDemand> hours;      ///< hour k is [3600 k, 3600 (k + 1)) of the run, the last one cut at the horizon
  std::vector<BinDemand> bins;        ///< bin k is [kBinS k, kBinS (k + 1)), the last one cut at the horizon
  double weight = 1;                  ///< requests each one read stands for (a generated day is read thinned)
  std::vector<double> long_contexts;  ///< input + output of every request over 32 k tokens (checked per candidate)
  /// A uniform sample of the requests read (reservoir sampling on the scenario's seed).
  std::vector<DecodeSample> decode_sample;
  /// A uniform sample of the run's requests (reservoir sampling, seeded by the scenario's seed), in the order kept:
  /// what a saturated prefill rank's queue holds, for how full its chunks are (the pair budget cuts long contexts
  /// short). One for the whole run, not one an hour: the fill rests on the few long contexts, and an hour's sample
  /// of 32 k requests still moved it by +-2 % from hour to hour on the generated day, whose mix does not change.
  std::vector<PrefillSample> sample;
  static constexpr size_t kSample = size_t{1} << 17;  ///< requests kept in `sample`
};

/// Reads the scenario's arrival source once (a generated day at no more than 2 % of its requests, scaled back).
WorkloadDemand measure_demand(const cluster::Scenario& scenario);

/// A busy decode unit of the scenario's shape, stepped over the demand's sample with `batch` sequences a rank
/// (refilled as they leave; each rank's cap `cap`) and the scenario's decode balancer: the mean over its steps of
/// the step (which waits for the rank holding the most KV and the most sequences) over the uniform step at the same
/// sequences and mean KV, the one the batch cap is found with. At least 1; 1 for an empty sample.
double busy_decode_step_ratio(const cluster::Scenario& scenario, const WorkloadDemand& demand, int64_t batch,
                              int64_t cap);

/// A candidate's screened figures, named as in summary.json. Only figures the screen estimates are present.
struct ScreenResult {
  std::vector<std::pair<std::string, double>> figures;
  double wall_s = 0;

  /// The figure's value; NaN when the screen does not estimate it.
  double figure(const std::string& name) const;
};

/// Screens one candidate (its scenario fully resolved) against the workload's demand. Like the run, it counts the
/// drain after the horizon (no arrivals; the requests in flight finish) in the node-time, at most `drain_limit_s`
/// (the run's --drain-s): the fleet held at the horizon, for as long as the last hour's longest request would take
/// if it arrived at the horizon (its TTFT, then its output at the last interval's per-user speed). The figure
/// simulated_s is the horizon plus that drain.
ScreenResult screen(const cluster::Scenario& scenario, const WorkloadDemand& demand, double drain_limit_s = 86400.0);

/// How full a saturated prefill unit's steps are: the new tokens a rank computes in a step over the chunk, and the
/// chunks (requests touched) a rank holds in a step, each a mean over the unit's ranks and steps.
struct SaturatedFill {
  double fill = 1;
  double chunks = 1;
};

/// A prefill unit of the scenario whose ranks' queues are long, stepped over `sample` (in order) as
/// sim/cluster/prefill_unit.cc steps: the scenario's prefill balancer places each request on a rank, and each step
/// takes from every rank's queue first in, first out, up to the chunk's new tokens and the pairs of one fresh chunk;
/// a request that attends to a long prefix is cut short by the pairs, and one that cannot fit a token ends its
/// rank's step. Requests are admitted to keep kSaturatedDepth chunks a rank queued. {1, 1} for too small a sample.
SaturatedFill saturated_unit_fill(const std::vector<PrefillSample>& sample, const cluster::Scenario& scenario,
                                  const cluster::StepModel& model);
inline constexpr double kSaturatedDepth = 2.0;  ///< chunks queued a rank in saturated_unit_fill: more than a step takes

/// New tokens/s one prefill unit computes when every rank's queue is long, at hour `hour`'s mix of `demand`: what the
/// screen's backlog drains at (below the controller's capacity figure, which assumes full uniform chunks).
double saturated_prefill_tokens_per_s(const cluster::Scenario& scenario, const WorkloadDemand& demand, size_t hour);

}  // namespace moesim::study
