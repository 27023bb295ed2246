// The step-load approximation (cost::ExpertLoadModel) against exact draws of the model it stands for.
//
// Exact draws: every token of a step routed by RoutingSampler (8 distinct experts inside at most 4 of the 8 groups),
// each expert's tokens sent to one of its replicas at random, the busiest GPU's load over the mean, averaged over
// steps. Tolerance 2 %: the MoE layer's time is charged at this load, and 2 % is what the project allows a kernel table
// (modeling.md section 1), so the load model adds no more error than the kernels it feeds. The approximation's own
// error measured with long runs is <= 1 % at every size tried (docs/models/expert-load.md); the rest of the 2 % covers
// the exact draws' sampling error with the short runs used here (standard error <= 0.5 %).
#include "models/cost/expert_load.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <set>

#include "sim/policy/eplb.h"
#include "tests/support/model.h"

using moesim::cost::ExpertLoadModel;
using moesim::cost::ExpertPlacement;
using moesim::cost::RoutingShape;

namespace {

struct Case {
  const char* name;
  const char* policy;
  int gpus;
  int64_t tokens;
  int steps;
};

struct Fixture {
  RoutingShape shape = moesim::test::v3_routing();
  moesim::cost::ExpertPopularity popularity;
  ExpertPlacement placement;
  ExpertLoadModel model;

  Fixture(const char* skew, const char* policy, int gpus)
      : popularity(moesim::cost::parse_skew_spec(skew), shape, 5),
        placement(moesim::policy::builtin_expert_balancers().make(policy)->place(
            popularity.initial_shares(),
            {.num_replicas = 288, .num_groups = 8, .num_nodes = gpus / 8, .num_gpus = gpus})),
        model(placement, popularity.initial_shares(), popularity.transient_sigma(), shape) {}

  double exact(int layer, int64_t tokens, int steps) const {
    return moesim::cost::sample_max_gpu_factor(placement, layer, popularity.initial_shares()[layer],
                                               popularity.transient_sigma(), shape, tokens, steps, 99);
  }
};

}  // namespace

TEST_CASE("expert load: the busiest-GPU factor agrees with exact draws within 2 % at decode and prefill sizes") {
  // Decode: EP144 (18 nodes) at 128 tokens per GPU. Prefill: EP32 (4 nodes) at 1,024 tokens per GPU; at the prefill
  // size of 16 k tokens per GPU the Poisson noise is 4x smaller and the factor is its deterministic part, which the
  // model computes exactly. Small: EP144 at 7 tokens per GPU, where loads are small integers.
  const Case cases[] = {
      {"decode, EPLB", "global", 144, 18432, 10},           {"decode, none", "none", 144, 18432, 4},
      {"prefill, EPLB", "hierarchical", 32, 32768, 2},      {"prefill, none", "none", 32, 32768, 1},
      {"small decode step, EPLB", "global", 144, 1024, 60},
  };
  for (const Case& c : cases) {
    Fixture f("calibrated", c.policy, c.gpus);
    double approx = f.model.evaluate_layer_factor(0, static_cast<double>(c.tokens));
    double exact = f.exact(0, c.tokens, c.steps);
    INFO(c.name << ": approximation " << approx << ", exact draws " << exact);
    CHECK(approx == Approx(exact).epsilon(0.02));
  }
}

TEST_CASE("expert load: with zipf skew and per-step transient skew the factor still agrees with exact draws") {
  // zipf:1.0 caps the hottest expert at one pick per token; transient 0.5 adds a fresh lognormal factor per step
  // (measured error +0.5 % to +2.7 %, growing with the transient: docs). Tolerance 4 %: the transient is an option
  // beyond the calibrated default, and its heavy tail is what the moment-matched lognormal approximates least well.
  Fixture zipf("zipf:1.0", "global", 144);
  CHECK(zipf.model.evaluate_layer_factor(0, 18432) == Approx(zipf.exact(0, 18432, 4)).epsilon(0.02));
  Fixture transient("calibrated,transient=0.5", "hierarchical", 32);
  CHECK(transient.model.evaluate_layer_factor(0, 1024) == Approx(transient.exact(0, 1024, 150)).epsilon(0.04));
}

TEST_CASE("expert load: two GPUs with one expert each give the analytic factor 1 + sqrt(2 / (pi T))") {
  // One token picks one of two equally popular experts: |L1 - L2| / 2 has mean sqrt(T / (2 pi)) at large T.
  RoutingShape shape{.num_layers = 1, .num_experts = 2, .num_groups = 1, .top_k = 1, .topk_groups = 1};
  ExpertPlacement p{.num_experts = 2, .num_gpus = 2, .slots_per_gpu = 1, .phy2log = {{0, 1}}};
  ExpertLoadModel model(p, {{0.5, 0.5}}, 0.0, shape);
  for (double t : {1e4, 1e6}) {
    double excess = model.evaluate_layer_factor(0, t) - 1;
    CHECK(excess == Approx(std::sqrt(2 / (std::numbers::pi * t))).epsilon(0.01));
  }
}

TEST_CASE("expert load: the table's cubic reads the direct evaluation within 0.1 % between grid points") {
  // One grid point per octave of tokens, cubics in log tokens. Measured worst 8.8e-4 (EP144, calibrated skew, a few
  // tokens per step), 6.7e-4 from 64 tokens on, over these skews, layers and sizes.
  double worst = 0;
  for (const char* skew : {"calibrated", "zipf:1.0", "calibrated,transient=0.5"}) {
    for (int gpus : {144, 32}) {
      Fixture g(skew, "global", gpus);
      for (int l : {0, 29, 57}) {
        for (double t = 1.3; t < 3e7; t *= 1.37) {
          worst = std::max(worst, std::abs(g.model.layer_max_gpu_factor(l, t) / g.model.evaluate_layer_factor(l, t) - 1));
        }
      }
    }
  }
  INFO("worst relative difference " << worst);
  CHECK(worst < 1e-3);
  Fixture f("calibrated", "global", 144);
  double mean = 0;
  for (int l = 0; l < f.model.num_layers(); ++l) mean += f.model.layer_max_gpu_factor(l, 18432);
  CHECK(f.model.max_gpu_factor(18432) == Approx(mean / f.model.num_layers()).epsilon(1e-12));
  CHECK(f.model.max_gpu_load(18432) == Approx(f.model.max_gpu_factor(18432) * 8 * 18432 / 144));
}

TEST_CASE("expert load: with exact set the table is four points an octave and reads the adaptive reference closely") {
  // --exact: the table filled by the adaptive reference on a grid four times finer. Measured worst 3e-6.
  Fixture f("calibrated", "global", 144);
  ExpertLoadModel exact(f.placement, f.popularity.initial_shares(), f.popularity.transient_sigma(), f.shape, true);
  double worst = 0;
  for (double t = 3.1; t < 1e7; t *= 9.7) {
    worst = std::max(worst, std::abs(exact.layer_max_gpu_factor(7, t) / exact.evaluate_layer_factor_adaptive(7, t) - 1));
  }
  INFO("worst relative difference " << worst);
  CHECK(worst < 2e-5);
}

TEST_CASE("expert load: the factor falls with tokens towards the imbalance of the expected loads") {
  RoutingShape shape = moesim::test::v3_routing();
  shape.num_layers = 1;
  moesim::cost::ExpertPopularity pop(moesim::cost::parse_skew_spec("lognormal:0.8"), shape, 2);
  auto p = moesim::policy::GlobalEplb().place(pop.initial_shares(),
                                              {.num_replicas = 288, .num_groups = 8, .num_nodes = 4, .num_gpus = 32});
  ExpertLoadModel model(p, pop.initial_shares(), 0.0, shape);
  double previous = 1e9;
  for (double t = 16; t < 1e8; t *= 4) {
    double f = model.evaluate_layer_factor(0, t);
    CHECK(f <= previous);
    CHECK(f >= 1.0);
    previous = f;
  }
  CHECK(model.evaluate_layer_factor(0, 1e12) == Approx(1 / model.expected_balancedness()).epsilon(1e-3));
}

TEST_CASE("expert load: the dispatch receive volume per GPU agrees with exact draws within 5 %") {
  // A token is sent once to each GPU holding one of its experts. The model treats groups, and the experts inside a
  // reached group, as independent; measured error of the busiest GPU's and the mean receive <= 3.5 % (docs).
  for (const char* policy : {"none", "hierarchical"}) {
    Fixture f("calibrated", policy, 32);
    auto routing = moesim::cost::group_limited_routing(f.popularity.initial_shares()[0], f.shape);
    moesim::cost::RoutingSampler sampler(routing, f.shape);
    moesim::Rng rng(17);
    std::vector<std::vector<int>> replicas(256);
    for (int s = 0; s < 288; ++s) {
      if (int e = f.placement.phy2log[0][s]; e >= 0) replicas[e].push_back(s / f.placement.slots_per_gpu);
    }
    std::vector<double> received(32, 0.0);
    std::vector<int> experts(8);
    const int tokens = 40000;
    for (int t = 0; t < tokens; ++t) {
      sampler.draw(rng, experts);
      std::set<int> hit;
      for (int e : experts) hit.insert(replicas[e][rng.below(static_cast<uint32_t>(replicas[e].size()))]);
      for (int g : hit) received[g] += 1.0 / tokens;
    }
    const auto& model = f.model.receive_per_token(0);
    INFO(policy);
    CHECK(*std::max_element(model.begin(), model.end()) ==
          Approx(*std::max_element(received.begin(), received.end())).epsilon(0.05));
    CHECK(std::accumulate(model.begin(), model.end(), 0.0) ==
          Approx(std::accumulate(received.begin(), received.end(), 0.0)).epsilon(0.05));
  }
}

TEST_CASE("expert load: a placement that leaves a routed expert without a replica is refused") {
  RoutingShape shape{.num_layers = 1, .num_experts = 2, .num_groups = 1, .top_k = 1, .topk_groups = 1};
  ExpertPlacement p{.num_experts = 2, .num_gpus = 2, .slots_per_gpu = 1, .phy2log = {{0, -1}}};
  CHECK_THROWS_AS(ExpertLoadModel(p, {{0.5, 0.5}}, 0.0, shape), std::invalid_argument);
}

TEST_CASE("expert load: the fast evaluation agrees with the adaptive reference within 1e-4") {
  // The production evaluation uses a fixed 10-point Gauss-Legendre rule per piece of the range, a one-exp normal CDF
  // and drops GPUs whose CDF is within 1e-9 of 1; the reference is adaptive Gauss-Kronrod (tolerance 1e-6 per piece)
  // with std::erfc. Measured worst difference 5.2e-5 over these skews, placements, layers and sizes (1 to 1e8 tokens):
  // a hundredth of the model's own error against exact draws (above).
  struct Setting {
    const char* skew;
    const char* policy;
    int gpus;
  };
  const Setting settings[] = {{"calibrated", "global", 144},      {"calibrated", "none", 144},
                              {"calibrated", "hierarchical", 32}, {"zipf:1.0", "global", 144},
                              {"lognormal:0.8", "none", 32},      {"calibrated,transient=0.5", "global", 144}};
  double worst = 0;
  for (const auto& s : settings) {
    Fixture f(s.skew, s.policy, s.gpus);
    for (int layer : {0, 29, 57}) {
      for (double t = 1; t < 1e8; t *= 5.3) {
        double fixed = f.model.evaluate_layer_factor(layer, t);
        double adaptive = f.model.evaluate_layer_factor_adaptive(layer, t);
        worst = std::max(worst, std::abs(fixed / adaptive - 1));
      }
    }
  }
  INFO("worst relative difference " << worst);
  CHECK(worst < 1e-4);
}

