// The house's policies: every built-in policy of every kind, one line each (name, one-line description, factory).
// Adding a policy is one file (its class) plus one line here. The lists are explicit calls, not self-registering
// static objects, which a static library would drop. A list's order is the order its names are shown in.
#include "sim/policy/autoscaler_fixed_fleet.h"
#include "sim/policy/autoscaler_fixed_schedule.h"
#include "sim/policy/autoscaler_forecast.h"
#include "sim/policy/autoscaler_slo.h"
#include "sim/policy/autoscaler_steady.h"
#include "sim/policy/decode_least_kv.h"
#include "sim/policy/decode_least_requests.h"
#include "sim/policy/decode_oracle.h"
#include "sim/policy/decode_published.h"
#include "sim/policy/decode_round_robin.h"
#include "sim/policy/eplb.h"
#include "sim/policy/prefill_least_attention.h"
#include "sim/policy/prefill_least_tokens.h"
#include "sim/policy/prefill_oracle.h"
#include "sim/policy/prefill_power_of_two.h"
#include "sim/policy/prefill_published.h"
#include "sim/policy/prefill_round_robin.h"
#include "sim/policy/unit_router_least_loaded.h"

namespace moesim::policy {

namespace {

// Factories: a policy built from nothing (whatever the kind's arguments), or from the kind's one argument.
template <typename Policy>
constexpr auto plain = [](const auto&...) { return std::make_unique<Policy>(); };
template <typename Policy>
constexpr auto from = [](const auto& arg) { return std::make_unique<Policy>(arg); };

// A registry holding what `fill` registers, built once (thread-safe: sweeps build runs on several threads).
template <typename Registry>
Registry filled(void (*fill)(Registry&)) {
  Registry r;
  fill(r);
  return r;
}

}  // namespace

void register_builtin_prefill_balancers(PrefillBalancerRegistry& r) {
  r.add("round-robin", "the next rank in turn", plain<PrefillRoundRobin>);
  r.add("least-tokens", "the rank with the fewest queued new tokens", plain<PrefillLeastTokens>);
  r.add("least-attention", "the rank with the least queued attention work (token pairs)", plain<PrefillLeastAttention>);
  r.add("published", "DeepSeek's objective: min-max of queued tokens and attention, each over its mean",
        plain<PrefillPublished>);
  r.add("power-of-two", "two random ranks (own RNG stream), the one with fewer queued tokens", from<PrefillPowerOfTwo>);
  r.add("oracle", "informed baseline: knows each rank's queued work in seconds, picks the least", from<PrefillOracle>);
}

void register_builtin_decode_balancers(DecodeBalancerRegistry& r) {
  r.add("round-robin", "the next rank in turn that fits", plain<DecodeRoundRobin>);
  r.add("least-requests", "the fitting rank with the fewest sequences", plain<DecodeLeastRequests>);
  r.add("least-kv", "the fitting rank holding the least KV", plain<DecodeLeastKv>);
  r.add("published", "DeepSeek's objective: min-max of sequences and KV held, each over its mean, among fitting ranks",
        plain<DecodePublished>);
  r.add("oracle", "informed baseline: knows output lengths; min-max of sequences, KV now and KV at finish",
        plain<DecodeOracle>);
}

void register_builtin_unit_routers(UnitRouterRegistry& r) {
  r.add("least-loaded", "prefill: fewest queued new tokens; decode: fewest sequences for its SLO capacity",
        plain<LeastLoadedRouter>);
}

void register_builtin_expert_balancers(ExpertBalancerRegistry& r) {
  r.add("none", "one slot per expert in id order, redundant slots empty (no EPLB)", plain<NoneBalancer>);
  r.add("auto", "hierarchical when the groups divide evenly among the nodes, else global", plain<AutoEplb>);
  r.add("global", "DeepSeek EPLB over all experts and GPUs (decode, large EP)", plain<GlobalEplb>);
  r.add("hierarchical", "DeepSeek EPLB: groups onto nodes, then replicas onto GPUs (prefill)", plain<HierarchicalEplb>);
}

void register_builtin_autoscalers(AutoscalerRegistry& r) {
  r.add("none", "a fixed fleet: the units the scenario starts with serve the whole run", plain<FixedFleet>);
  r.add("fixed", "imposes a node schedule, split into units by decode_node_share", from<FixedSchedule>);
  r.add("slo", "adds and drains units on offered load against the SLO-capped capacity", from<SloDriven>);
  r.add("forecast", "as slo, on the load scaled ahead by a day-shape forecast (another day's, with a timing error)",
        from<ForecastDriven>);
  r.add("steady", "the slo marks, crossed beyond the measured noise or for persist_s; a backlog counts once it lasted",
        from<SteadyDriven>);
}

const PrefillBalancerRegistry& builtin_prefill_balancers() {
  static const auto registry = filled(&register_builtin_prefill_balancers);
  return registry;
}

const DecodeBalancerRegistry& builtin_decode_balancers() {
  static const auto registry = filled(&register_builtin_decode_balancers);
  return registry;
}

const UnitRouterRegistry& builtin_unit_routers() {
  static const auto registry = filled(&register_builtin_unit_routers);
  return registry;
}

const ExpertBalancerRegistry& builtin_expert_balancers() {
  static const auto registry = filled(&register_builtin_expert_balancers);
  return registry;
}

const AutoscalerRegistry& builtin_autoscalers() {
  static const auto registry = filled(&register_builtin_autoscalers);
  return registry;
}

}  // namespace moesim::policy
