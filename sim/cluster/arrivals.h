// Arrival sources over the workload layer (traces/): a trace file (with the disk KV cache deciding cached prefixes
// for hash-id traces), the generated reference day, and constant-rate Poisson arrivals with the day's request mix.
//
//   auto src = moesim::cluster::make_arrivals(scenario);
//   for (PrefillRecord r; src->next(r);) { ... }
#pragma once

#include <memory>

#include "sim/cluster/simulation.h"

namespace moesim::cluster {

/// The scenario's arrival source. Bad files are InputErrors naming file:line.
std::unique_ptr<ArrivalSource> make_arrivals(const Scenario& scenario);

}  // namespace moesim::cluster
