// The registry every policy kind uses (sim/policy/registry.h): names in the order they were added, unknown names
// refused with the list of known ones, a name registered twice refused; and every built-in policy of every kind
// described in one line.
#include "sim/policy/registry.h"

#include <catch2/catch.hpp>

#include "sim/policy/autoscaler.h"
#include "sim/policy/expert_balancer.h"
#include "sim/policy/rank_balancer.h"
#include "sim/policy/unit_router.h"

using namespace moesim::policy;

namespace {

struct Shape {
  static constexpr const char* kKind = "shape";
  virtual ~Shape() = default;
  virtual int sides() const = 0;
};

struct Polygon final : Shape {
  explicit Polygon(int n) : n_(n) {}
  int sides() const override { return n_; }
  int n_;
};

Registry<Shape, int> shapes() {
  Registry<Shape, int> r;
  r.add("square", "four sides", [](int) { return std::make_unique<Polygon>(4); });
  r.add("polygon", "as many sides as asked", [](int n) { return std::make_unique<Polygon>(n); });
  return r;
}

template <typename R>
void check_described(const R& registry) {
  INFO(registry.kind());
  REQUIRE_FALSE(registry.names().empty());
  for (const auto& name : registry.names()) {
    INFO(name);
    const std::string& d = registry.description(name);
    CHECK_FALSE(d.empty());
    CHECK(d.find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("registry: names keep the order they were added in, and make builds the named policy with its arguments") {
  auto r = shapes();
  CHECK(r.names() == std::vector<std::string>{"square", "polygon"});
  CHECK(r.make("square", 9)->sides() == 4);
  CHECK(r.make("polygon", 9)->sides() == 9);
  CHECK(r.contains("polygon"));
  CHECK_FALSE(r.contains("circle"));
  CHECK(r.description("square") == "four sides");
}

TEST_CASE("registry: an unknown name is refused with the list of known ones") {
  CHECK_THROWS_WITH(shapes().make("circle", 0), "unknown shape 'circle' (known: square, polygon)");
  CHECK_THROWS_AS(shapes().make("circle", 0), moesim::InputError);
  CHECK_THROWS_AS(shapes().description("circle"), std::out_of_range);
}

TEST_CASE("registry: a name registered twice is refused") {
  auto r = shapes();
  CHECK_THROWS_AS(r.add("square", "again", [](int) { return std::make_unique<Polygon>(4); }), std::logic_error);
}

TEST_CASE("registry: every built-in policy of every kind has a one-line description") {
  check_described(builtin_prefill_balancers());
  check_described(builtin_decode_balancers());
  check_described(builtin_unit_routers());
  check_described(builtin_expert_balancers());
  check_described(builtin_autoscalers());
}

TEST_CASE("registry: each built-in kind refuses an unknown name with the list of its known ones") {
  RankBalancerContext rank_context;
  CHECK_THROWS_WITH(builtin_prefill_balancers().make("random", rank_context),
                    "unknown prefill balancer 'random' (known: round-robin, least-tokens, least-attention, "
                    "published, power-of-two, oracle)");
  CHECK_THROWS_WITH(builtin_decode_balancers().make("random", rank_context),
                    "unknown decode balancer 'random' (known: round-robin, least-requests, least-kv, published, "
                    "oracle)");
  CHECK_THROWS_WITH(builtin_unit_routers().make("random", UnitRouterContext{}),
                    "unknown unit router 'random' (known: least-loaded)");
  CHECK_THROWS_WITH(builtin_expert_balancers().make("random"),
                    "unknown expert balancer 'random' (known: none, auto, global, hierarchical)");
  AutoscalerParams params;
  params.config.policy = "elastic";
  CHECK_THROWS_WITH(make_autoscaler(params),
                    "unknown autoscaler policy 'elastic' (known: none, fixed, slo, forecast, steady)");
}
