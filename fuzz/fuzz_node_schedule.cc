// Fuzz target: the node schedule CSV of the fixed autoscaler policy (scenario autoscaler.schedule). Steps come out in
// time order with positive node counts and finite times.
#include <cmath>

#include "fuzz/fuzz_support.h"
#include "sim/cluster/node_schedule.h"

MOESIM_FUZZ_TARGET(node_schedule) {
  using namespace moesim;
  auto file = fuzz::scratch().write("nodes.csv", data, size);
  fuzz::expect_input_errors([&] {
    auto steps = cluster::read_node_schedule(file);
    for (size_t i = 0; i < steps.size(); ++i) {
      fuzz::require(std::isfinite(steps[i].first) && steps[i].second > 0, "finite times, positive node counts");
      fuzz::require(i == 0 || steps[i].first >= steps[i - 1].first, "steps in time order");
    }
  });
  return 0;
}
