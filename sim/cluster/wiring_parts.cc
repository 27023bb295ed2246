#include <fmt/format.h>

#include "common/error.h"
#include "sim/cluster/arrivals.h"
#include "sim/cluster/model_step.h"
#include "sim/cluster/wiring.h"

namespace moesim::cluster {

namespace {

// Perfectly balanced routing: the most-loaded GPU carries the mean (DeepSeek's published profiles force this).
struct EvenExperts final : ExpertBalance {
  double max_factor(double, engine::Time) override { return 1.0; }
};

}  // namespace

RunParts build_run_parts(const Scenario& s) {
  RunParts parts;
  parts.step_model = std::make_unique<ModelStep>(s);
  if (s.experts.skew != "uniform") {
    throw InputError(fmt::format("experts.skew: \"{}\" is not wired into runs yet (uniform only)", s.experts.skew));
  }
  parts.prefill_experts = std::make_unique<EvenExperts>();
  parts.decode_experts = std::make_unique<EvenExperts>();
  parts.source = make_arrivals(s);
  if (s.autoscaler.policy != "none") {
    policy::AutoscalerParams p;
    p.policy = s.autoscaler.policy;
    p.decode_high = s.autoscaler.decode_high;
    p.decode_low = s.autoscaler.decode_low;
    p.prefill_high = s.autoscaler.prefill_high;
    p.prefill_low = s.autoscaler.prefill_low;
    p.max_nodes = s.autoscaler.max_nodes;
    p.decode_node_share = s.autoscaler.decode_node_share;
    if (p.policy == "fixed") p.schedule = read_node_schedule(resolve_path(s, s.autoscaler.schedule));
    parts.autoscaler = std::make_unique<AutoscalerDriver>(policy::make_autoscaler(p), s);
  }
  return parts;
}

}  // namespace moesim::cluster
