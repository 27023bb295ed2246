// The terminal report of a run: the figures a planner reads first, and, when the scenario names a published
// outcomes file, each prediction beside the published value and the error.
//
//   moesim::tools::print_report(summary, scenario);
#pragma once

#include "sim/cluster/scenario.h"
#include "sim/observe/run_report.h"

namespace moesim::tools {

void print_report(const observe::RunReport& summary, const cluster::Scenario& scenario);

}  // namespace moesim::tools
