// Autoscaler policies: every interval, from what a real controller could observe of the fleet, how many units of
// each kind should serve. `none` keeps the fleet the scenario starts with; `fixed` imposes a node schedule; `slo`
// adds and removes units from the offered load against the SLO-capped decode batch and the prefill units' full-step
// capacity; `steady` does so only on a crossing beyond the measured noise or one that persisted. The policies are in
// autoscaler_*.h, one a file (or pair), listed in builtins.cc.
//
//   auto p = moesim::policy::make_autoscaler(config);  // builtin_autoscalers().make(config.policy, config)
//   auto target = p->decide(observation);  // {prefill_units, decode_units}
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/policy/registry.h"

namespace moesim::policy {

/// What the controller sees at a decision (over the last interval where it says so). Demand is offered load (what
/// arrived), not served load: a saturated pool serves at its capacity whatever the demand.
struct FleetObservation {
  double now_s = 0.0;
  int64_t prefill_units = 0;  ///< serving or starting
  int64_t decode_units = 0;   ///< serving or starting
  int64_t prefill_nodes_per_unit = 4;
  int64_t decode_nodes_per_unit = 18;
  double prefill_offered_tokens_per_s = 0.0;  ///< new tokens that arrived for prefill per second, last interval
  int64_t prefill_queued_tokens = 0;          ///< new tokens waiting in prefill queues now
  double prefill_capacity_per_unit = 0.0;  ///< tokens/s one prefill unit computes with full steps of the observed mix
  double decode_offered_per_s = 0.0;       ///< sequences that left prefill for decode per second, last interval
  /// requests accepted at the fleet per second, last interval: what decode will hold once prefill has passed them on
  /// (prefill's queue delays them, and its draining sends them on faster)
  double arrivals_per_s = 0.0;
  double decode_hold_s = 0.0;  ///< how long a sequence holds a decode slot at the SLO speed (0: not known yet)
  int64_t decode_active = 0;   ///< sequences decoding
  int64_t decode_waiting = 0;  ///< sequences whose KV arrived, waiting for a rank
  int64_t decode_capacity_per_unit = 0;  ///< sequences one decode unit holds at the SLO batch cap
};

struct FleetTarget {
  int64_t prefill_units = 0;
  int64_t decode_units = 0;
};

/// The scenario's `autoscaler` object as parsed (sim/cluster/scenario.cc), read as it is by the policies and the
/// controller that drives them (sim/cluster/autoscaler_driver.*).
struct AutoscalerConfig {
  std::string policy = "none";       ///< none | fixed (a node schedule file) | slo | forecast | steady
  std::string schedule;              ///< fixed: CSV of (start, end, nodes), relative to the scenario file
  double interval_s = 300.0;         ///< slo: how often the controller looks
  double startup_s = 600.0;          ///< time from the decision to add a unit until it serves
  double decode_high = 0.9;          ///< slo: add a decode unit above this share of the SLO-capped capacity
  double decode_low = 0.6;           ///< slo: remove one when the load would stay below this without it
  double prefill_high = 0.85;        ///< slo: add a prefill unit above this share of full-step capacity
  double prefill_low = 0.55;         ///< slo: remove one when the load would stay below this without it
  double backlog_horizon_s = 300.0;  ///< slo: a queue that built up is planned to clear over this long
  int64_t max_nodes = 0;             ///< pool limit (0 = none); the report says when it binds
  double decode_node_share = 0.6;    ///< fixed: share of the schedule's nodes given to decode units (an assumption)
  double warmup_s = 1800.0;          ///< units added in the first warmup_s start at once (the fleet predates the run)
  double forecast_error_s = 1800.0;  ///< forecast: how late its day shape runs (an assumption: half an hour)
  double forecast_noise = 0.1;       ///< forecast: each hour's share off by this (sigma of ln; another day's shape)
  /// steady: how long a small crossing, or a backlog, must last before it counts (the scenario's default: startup_s,
  /// since a unit ordered for a shorter one would start after it is gone)
  double persist_s = 600.0;
  double noise_z = 3.0;            ///< steady: a crossing by more than this many sigmas of the noise counts at once
  double noise_window_s = 3600.0;  ///< steady: the noise is measured over this long
  /// forecast: how far ahead units are ordered (a unit ordered now serves after its start-up, and the controller
  /// looks again an interval later).
  double lead_s() const { return startup_s + interval_s; }
};

/// What a policy is built with: its configuration and the run's facts it needs besides.
struct AutoscalerParams {
  AutoscalerConfig config;
  /// fixed: the schedule file's (start_s, nodes) steps
  std::vector<std::pair<double, int64_t>> schedule = {};
  /// forecast: the day profile's hourly shares the forecast is made from (empty: no forecast, as slo); the seed (the
  /// forecast's noise comes from seed + 1) and the run's offset into the day.
  std::vector<double> forecast_hourly_shares = {};
  uint64_t seed = 1;
  double day_offset_s = 0.0;
};

class AutoscalerPolicy {
 public:
  static constexpr const char* kKind = "autoscaler policy";
  virtual ~AutoscalerPolicy() = default;
  virtual FleetTarget decide(const FleetObservation& o) = 0;
  /// True when the policy never changes the fleet: a run then needs no controller (no ticks, no observations).
  virtual bool static_fleet() const { return false; }
  /// True when the last decision was cut by the pool limit.
  bool limit_bound() const { return limit_bound_; }

 protected:
  bool limit_bound_ = false;
};

using AutoscalerRegistry = Registry<AutoscalerPolicy, const AutoscalerParams&>;

/// Adds the built-ins (the central list in builtins.cc).
void register_builtin_autoscalers(AutoscalerRegistry& registry);

/// A registry holding the built-ins, built on first use.
const AutoscalerRegistry& builtin_autoscalers();

/// The built-in named by params.policy, built from `params`; an unknown name is an InputError listing the known ones.
std::unique_ptr<AutoscalerPolicy> make_autoscaler(const AutoscalerParams& params);

/// A pool's demand over the last interval: the standing load (what arrives) and the backlog's share over the backlog
/// horizon, in the pool's own measure (decode: slots held at the SLO; prefill: new tokens/s).
struct PoolDemand {
  double standing = 0.0;
  double backlog = 0.0;
  double total() const { return standing + backlog; }
};

/// Decode demand in slots, by Little's law: sequences arriving per second times how long each holds a slot at the SLO
/// speed; a waiting sequence is a backlog, not a standing load (slots free as sequences finish), so it needs a slot
/// for hold / horizon of the horizon. Before the first completion the hold time is unknown and the standing count
/// (active + waiting) stands in.
PoolDemand decode_demand(const FleetObservation& o, double backlog_horizon_s);

/// Prefill demand in new tokens/s: what arrives, and the queued tokens planned to clear over the backlog horizon.
PoolDemand prefill_demand(const FleetObservation& o, double backlog_horizon_s);

/// Cuts `t` until it fits in `max_nodes` (0: no limit), one unit at a time where the overshoot is relatively largest;
/// true when it cut.
bool cut_to_pool_limit(FleetTarget& t, const FleetObservation& o, int64_t max_nodes);

/// Splits a node count into units: decode units take about `decode_share` of the nodes, prefill units the rest.
FleetTarget split_nodes(int64_t nodes, double decode_share, int64_t prefill_nodes_per_unit,
                        int64_t decode_nodes_per_unit);

}  // namespace moesim::policy
