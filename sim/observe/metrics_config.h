// MetricsConfig: what the observers need to know of the run beyond its signals: the prices, the units' sizes (to
// turn node-time into unit-time for busy fractions) and the SLO speed (for the decode capacity at the SLO).
//
//   MetricsConfig c;  c.prices.prefill.gpus_per_node = c.prices.decode.gpus_per_node = 8;  RunMetrics m(c);
#pragma once

#include <cstdint>

#include "sim/observe/economics.h"

namespace moesim::observe {

struct MetricsConfig {
  Prices prices;
  int64_t prefill_nodes_per_unit = 4;  ///< to turn node-time into unit-time for busy fractions
  int64_t decode_nodes_per_unit = 18;
  double slo_user_tokens_per_s = 21.0;  ///< for the decode capacity at the SLO
};

}  // namespace moesim::observe
