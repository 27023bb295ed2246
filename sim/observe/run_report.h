// RunReport: everything a run reports (summary.json), as typed members grouped by what they say. make_report()
// assembles it in one place from the metrics and the facts only the run's owner knows; to_json() serializes it
// once, to the flat summary.json document (each figure's key and JSON type are fixed here); report_from_json()
// reads such a document back, strictly.
//
//   RunReport r = make_report(metrics, facts);
//   std::string text = to_json(r).dump(2);  double nodes = r.nodes.avg;
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/observe/economics.h"
#include "sim/observe/metrics.h"
#include "sim/observe/request_counts.h"

namespace moesim::observe {

/// What the arrival source read ("source" in summary.json).
struct SourceStats {
  std::string name{};
  bool has_counters = false;  ///< trace readers and the day generator count; the constant-rate source does not
  int64_t lines = 0;          ///< lines read (0 for the generator)
  int64_t requests = 0;
  int64_t skipped_bad = 0;
  std::vector<std::string> first_bad{};  ///< the first skipped lines' messages (written only when there are some)

  bool operator==(const SourceStats&) const = default;
};

/// What an autoscaler controller reports of itself.
struct AutoscalerStats {
  int64_t limit_bound_decisions = 0;       ///< decisions the pool limit cut
  double prefill_capacity_per_unit = 0.0;  ///< new tokens/s one prefill unit computes at full steps of the mix
};

/// What the run's owner knows beyond the signals.
struct RunFacts {
  std::string scenario{};
  uint64_t seed = 0;
  RequestCounts counts{};  ///< the fleet's, at the end
  uint64_t events_executed = 0;
  SourceStats source{};
  std::optional<AutoscalerStats> autoscaler{};  ///< absent when no controller ran
  std::string stop_reason{};                    ///< why the run stopped before it was done; empty when it was not
};

struct TokenPair {
  int64_t input = 0;
  int64_t output = 0;

  bool operator==(const TokenPair&) const = default;
};

/// Conservation: requests and tokens in = completed + rejected + in flight at the end.
struct Conservation {
  int64_t requests_in = 0;
  int64_t requests_completed = 0;
  int64_t requests_rejected = 0;
  std::map<std::string, int64_t> rejected_by_reason{};
  struct InFlight {
    int64_t waiting_for_unit = 0;
    int64_t prefill = 0;
    int64_t kv_transfer = 0;
    int64_t decode = 0;

    int64_t total() const { return waiting_for_unit + prefill + kv_transfer + decode; }
    bool operator==(const InFlight&) const = default;
  } requests_in_flight_at_end{};
  bool requests_conserved = false;
  TokenPair tokens_in{};
  TokenPair tokens_rejected{};
  TokenPair tokens_in_flight_at_end{};
  bool tokens_conserved = false;

  bool operator==(const Conservation&) const = default;
};

/// Tokens of the completed requests, and the prefill work done.
struct TokenFigures {
  int64_t input = 0;
  int64_t input_cached = 0;
  int64_t output = 0;
  int64_t prefill_computed = 0;  ///< new tokens computed by prefill steps (chunks of all requests, finished or not)

  bool operator==(const TokenFigures&) const = default;
};

/// Nodes held, averaged over the simulated time.
struct NodeFigures {
  double avg = 0.0;
  int64_t peak = 0;
  double prefill_avg = 0.0;
  double decode_avg = 0.0;

  bool operator==(const NodeFigures&) const = default;
};

struct ThroughputFigures {
  double prefill_tokens_per_s_per_node = 0.0;  ///< input tokens (cached included) per prefill node-second
  double decode_tokens_per_s_per_node = 0.0;   ///< output tokens per decode node-second
  /// What the decode fleet could sustain with every sequence at the SLO speed, per decode node (while stepping),
  /// and the share of it used.
  double decode_capacity_tokens_per_s_per_node_at_slo = 0.0;
  double decode_utilization_at_slo = 0.0;

  bool operator==(const ThroughputFigures&) const = default;
};

/// Latency and speed of the completed requests (seconds; tokens/s per user).
struct LatencyFigures {
  double user_tokens_per_s_mean = 0.0;
  double user_tokens_per_s_p10 = 0.0;
  double user_tokens_per_s_p50 = 0.0;
  double time_between_tokens_p50_s = 0.0;
  double time_between_tokens_p99_s = 0.0;
  double ttft_mean_s = 0.0;
  double ttft_p50_s = 0.0;
  double ttft_p90_s = 0.0;
  double ttft_p99_s = 0.0;
  double decode_wait_p50_s = 0.0;
  double decode_wait_p99_s = 0.0;
  double e2e_p50_s = 0.0;
  double e2e_p99_s = 0.0;  ///< end to end (as e2e_p50_s), 99th percentile

  bool operator==(const LatencyFigures&) const = default;
};

/// The units' steps: how many, how long, how busy, how balanced.
struct StepFigures {
  int64_t prefill_steps = 0;
  int64_t decode_steps = 0;
  double prefill_step_mean_s = 0.0;
  double decode_step_mean_s = 0.0;
  double prefill_busy_s = 0.0;  ///< unit-seconds stepping
  double decode_busy_s = 0.0;
  double prefill_busy_fraction = 0.0;  ///< of the unit-time held
  double decode_busy_fraction = 0.0;
  double prefill_rank_balance_mean = 0.0;
  double decode_rank_balance_mean = 0.0;
  double expert_balance_mean = 0.0;
  double decode_sequences_per_unit_mean = 0.0;

  bool operator==(const StepFigures&) const = default;
};

/// The autoscaler's figures (present only when a controller ran).
struct AutoscalerFigures {
  int64_t limit_bound_decisions = 0;
  double prefill_capacity_new_tokens_per_s_per_node = 0.0;  ///< at full steps of the day's mix
  double prefill_utilization = 0.0;                         ///< the share of that capacity used

  bool operator==(const AutoscalerFigures&) const = default;
};

struct RunReport {
  std::string scenario{};
  uint64_t seed = 0;
  /// False when the run was stopped (a signal, a limit) before its arrivals ended and its fleet drained: the figures
  /// then cover the simulated time reached (simulated_s) and `stop_reason` says why ("complete" and "stop_reason" in
  /// summary.json; the latter only for a stopped run).
  bool complete = true;
  std::string stop_reason{};
  double simulated_s = 0.0;
  uint64_t events_executed = 0;
  Conservation conservation{};
  TokenFigures tokens{};
  NodeFigures nodes{};
  ThroughputFigures throughput{};
  LatencyFigures latency{};
  StepFigures steps{};
  Money economics{};
  std::optional<AutoscalerFigures> autoscaler{};
  SourceStats source{};

  bool operator==(const RunReport&) const = default;
};

/// The report of a finished run (`metrics.finish()` called).
RunReport make_report(const RunMetrics& metrics, const RunFacts& facts);

/// summary.json's document: one flat object; integers stay integers, figures are doubles.
nlohmann::json to_json(const RunReport& report);

/// Reads a summary.json document back. Missing or unknown keys and wrong types are InputErrors naming `origin`
/// and the key.
RunReport report_from_json(const nlohmann::json& doc, const std::string& origin);

}  // namespace moesim::observe
