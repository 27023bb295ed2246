// With skewed routing the EPLB lowers the busiest GPU's expected load (the MoE layer's time) below `none`'s, at the
// prefill size (EP32, 4 nodes, 16,384 tokens per GPU per step) and the decode size (EP144, 18 nodes, 128 tokens per
// GPU per step). The loads come from cost::ExpertLoadModel, which the step cost uses; docs/models/expert-load.md
// tabulates the factors.
#include <catch2/catch.hpp>

#include "models/cost/expert_load.h"
#include "sim/policy/eplb.h"
#include "tests/support/model.h"

namespace {

struct Setting {
  const char* name;
  moesim::policy::EplbShape shape;
  double tokens;  // tokens per step in the unit
};

const Setting kPrefill{"prefill", {.num_replicas = 288, .num_groups = 8, .num_nodes = 4, .num_gpus = 32}, 32 * 16384.0};
const Setting kDecode{"decode", {.num_replicas = 288, .num_groups = 8, .num_nodes = 18, .num_gpus = 144}, 144 * 128.0};

double factor(const char* skew, const char* policy, const Setting& setting) {
  moesim::cost::RoutingShape shape = moesim::test::v3_routing();
  moesim::cost::ExpertPopularity pop(moesim::cost::parse_skew_spec(skew), shape, 5);
  const auto& shares = pop.initial_shares();
  auto placement = moesim::policy::builtin_expert_balancers().make(policy)->place(shares, setting.shape);
  moesim::cost::ExpertLoadModel model(placement, shares, pop.transient_sigma(), shape);
  return model.max_gpu_factor(setting.tokens);
}

}  // namespace

TEST_CASE("eplb skew: with zipf skew the EPLB lowers the busiest GPU's load below none at prefill and decode") {
  for (const Setting& setting : {kPrefill, kDecode}) {
    for (const char* skew : {"zipf:0.6", "zipf:0.8", "zipf:1.0", "zipf:1.2"}) {
      INFO(setting.name << ", " << skew);
      double none = factor(skew, "none", setting), eplb = factor(skew, "auto", setting);
      CHECK(eplb < none);
      CHECK(eplb >= 1.0);
    }
  }
}

TEST_CASE("eplb skew: the more skewed the routing, the more `none` loses") {
  for (const Setting& setting : {kPrefill, kDecode}) {
    INFO(setting.name);
    CHECK(factor("zipf:0.6", "none", setting) < factor("zipf:1.0", "none", setting));
    CHECK(factor("uniform", "none", setting) < factor("calibrated", "none", setting));
    CHECK(factor("calibrated", "auto", setting) < factor("calibrated", "none", setting));
  }
}
