// What a side's units are built with, the same for prefill and decode units: the expert-load factor of a step, the
// side's clock, request pool and signal fan-out, and where a unit hands the requests it is done with.
//
//   PrefillUnit unit(0, UnitContext<PrefillPool>{engine, pool, signals}, model, experts, shape, balancer, sink);
#pragma once

#include <cstdint>

#include "sim/cluster/request.h"
#include "sim/cluster/step_model.h"
#include "sim/engine/engine.h"
#include "sim/observe/signals.h"

namespace moesim::cluster {

/// The expert-load side of a step: the most-loaded GPU's routed tokens over the mean, for a step that routes
/// `tokens_per_gpu` tokens per GPU on average. Implemented from the EPLB's placement; 1 = perfect balance.
/// Aligned to cache lines, as the units and balancers are: the two sides' objects, written by two threads, never
/// share one (simulation.h).
class alignas(64) ExpertBalance {
 public:
  virtual ~ExpertBalance() = default;
  virtual double max_factor(double tokens_per_gpu, engine::Time now) = 0;
};

/// What a side's units share: its clock, its request pool and its signal fan-out.
template <typename Pool>
struct UnitContext {
  engine::Engine& engine;
  Pool& pool;
  const observe::Signals& signals;
};

/// Where a unit hands requests it is done with.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual void accept(uint32_t request) = 0;
};

}  // namespace moesim::cluster
