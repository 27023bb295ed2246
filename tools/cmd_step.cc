// moesim step: steady-state step of one unit: time per layer and per step, per-node throughput.
#include "tools/commands.h"

namespace moesim::tools {

void add_step_command(CLI::App& app) {
  auto* sub = app.add_subcommand("step", "steady-state step of one unit: time per layer and per step, per-node throughput");
  sub->allow_extras();
  sub->callback([] { not_built_yet("step", "4"); });
}

}  // namespace moesim::tools
