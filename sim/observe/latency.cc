#include "sim/observe/latency.h"

#include <fmt/format.h>

namespace moesim::observe {

namespace {
constexpr double kNsPerS = 1e9;
}  // namespace

RequestLatency latency_of(const RequestDone& r) {
  RequestLatency l;
  l.ttft_s = static_cast<double>(r.first_token_ns - r.arrival_ns) / kNsPerS;
  l.e2e_s = static_cast<double>(r.finish_ns - r.arrival_ns) / kNsPerS;
  l.decode_wait_s = static_cast<double>(r.decode_admit_ns - r.first_token_ns) / kNsPerS;
  if (r.output_tokens > 1 && r.finish_ns > r.decode_admit_ns) {
    double decode_s = static_cast<double>(r.finish_ns - r.decode_admit_ns) / kNsPerS;
    l.decoded = true;
    l.user_tokens_per_s = static_cast<double>(r.output_tokens - 1) / decode_s;
    l.time_between_tokens_s = decode_s / static_cast<double>(r.output_tokens - 1);
  }
  return l;
}

void LatencyDistributions::add(const RequestLatency& l) {
  ttft_.add(l.ttft_s);
  e2e_.add(l.e2e_s);
  decode_wait_.add(l.decode_wait_s);
  if (l.decoded) {
    user_speed_.add(l.user_tokens_per_s);
    tbt_.add(l.time_between_tokens_s);
  }
}

std::string LatencyDistributions::cdf_csv() const {
  std::string out = "quantile,ttft_s,user_tokens_per_s,e2e_s,time_between_tokens_s\n";
  for (int i = 1; i <= 99; ++i) {
    double q = i / 100.0;
    out += fmt::format("{:.2f},{:.6f},{:.4f},{:.4f},{:.6f}\n", q, ttft_.quantile(q), user_speed_.quantile(q),
                       e2e_.quantile(q), tbt_.quantile(q));
  }
  return out;
}

}  // namespace moesim::observe
