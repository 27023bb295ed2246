// Unit routers: which prefill unit a new request goes to, and which decode unit takes a request whose KV has
// arrived. A router sees every unit the fleet ever started (index = unit id), those not serving marked so, and the
// request; within the unit, the unit's rank balancer picks the rank. The policies are in unit_router_*.h, one a
// file, listed in builtins.cc. Each side of a run makes its own router (the prefill side calls only pick_prefill, the
// decode side only pick_decode, each on its own thread): a router must not carry state from one kind of pick to the
// other.
//
//   auto router = moesim::policy::builtin_unit_routers().make("least-loaded", {.seed = 1});
//   int64_t unit = router->pick_prefill(units, {.new_tokens = 3000, .context_tokens = 5000});  // -1: none serves
#pragma once

#include <cstdint>
#include <span>

#include "sim/policy/rank_balancer.h"
#include "sim/policy/registry.h"

namespace moesim::policy {

/// What a unit router is built with.
struct UnitRouterContext {
  uint64_t seed = 1;  ///< the scenario's seed (for routers that draw)
};

/// A prefill unit as the router sees it.
struct PrefillUnitView {
  bool serving = false;       ///< takes new work (not starting, draining or gone)
  int64_t queued_tokens = 0;  ///< new tokens waiting in its rank queues
};

/// A decode unit as the router sees it (counts are zero for a unit that is not serving).
struct DecodeUnitView {
  bool serving = false;  ///< takes new work (not starting, draining or gone)
  int64_t active = 0;    ///< sequences decoding
  int64_t waiting = 0;   ///< sequences queued for a rank
  int64_t capacity = 0;  ///< sequences it holds at the SLO batch cap
};

class UnitRouter {
 public:
  static constexpr const char* kKind = "unit router";
  virtual ~UnitRouter() = default;
  /// A serving prefill unit for the request, or -1 when none serves (the request waits for one).
  virtual int64_t pick_prefill(std::span<const PrefillUnitView> units, const PrefillRequestView& request) = 0;
  /// A serving decode unit for the request, or -1 when none serves (the request waits for one).
  virtual int64_t pick_decode(std::span<const DecodeUnitView> units, const DecodeRequestView& request) = 0;
};

using UnitRouterRegistry = Registry<UnitRouter, const UnitRouterContext&>;

/// Adds the built-ins (the central list in builtins.cc).
void register_builtin_unit_routers(UnitRouterRegistry& registry);

/// A registry holding the built-ins, built on first use.
const UnitRouterRegistry& builtin_unit_routers();

}  // namespace moesim::policy
