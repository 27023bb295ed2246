// moesim run: simulate a scenario and write its report.
#include "tools/commands.h"

namespace moesim::tools {

void add_run_command(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "simulate a scenario and write its report");
  sub->allow_extras();
  sub->callback([] { not_built_yet("run", "7"); });
}

}  // namespace moesim::tools
