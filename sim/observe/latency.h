// Latency distributions of the completed requests: time to first token, per-user decode speed, time between
// tokens, end to end, and the wait between prefill and decode, each in a LogHistogram (constant memory).
//
//   LatencyDistributions d;  d.add(latency_of(request_done));
//   double p99 = d.ttft().quantile(0.99);  std::string csv = d.cdf_csv();
#pragma once

#include <string>

#include "sim/observe/histogram.h"
#include "sim/observe/signals.h"

namespace moesim::observe {

/// One completed request's latencies in seconds, derived once from its timeline.
struct RequestLatency {
  double ttft_s = 0.0;
  double e2e_s = 0.0;
  double decode_wait_s = 0.0;  ///< first token to decode admission (KV transfer and the decode queue)
  bool decoded = false;        ///< more than one output token and time spent decoding: the two below are set
  double user_tokens_per_s = 0.0;
  double time_between_tokens_s = 0.0;
};

/// The latencies of a completed (not rejected) request.
RequestLatency latency_of(const RequestDone& r);

class LatencyDistributions {
 public:
  void add(const RequestLatency& l);

  const LogHistogram& ttft() const { return ttft_; }
  const LogHistogram& user_speed() const { return user_speed_; }
  const LogHistogram& time_between_tokens() const { return tbt_; }
  const LogHistogram& e2e() const { return e2e_; }
  const LogHistogram& decode_wait() const { return decode_wait_; }

  /// Quantiles 0.01 .. 0.99 of TTFT, user tokens/s, end to end and time between tokens, as CSV (latency-cdf.csv).
  std::string cdf_csv() const;

 private:
  LogHistogram ttft_;
  LogHistogram user_speed_;
  LogHistogram tbt_;
  LogHistogram e2e_;
  LogHistogram decode_wait_;
};

}  // namespace moesim::observe
