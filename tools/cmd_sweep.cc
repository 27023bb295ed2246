// moesim sweep: run many scenarios (threads, or MPI ranks).
#include "tools/commands.h"

namespace moesim::tools {

void add_sweep_command(CLI::App& app) {
  auto* sub = app.add_subcommand("sweep", "run many scenarios (threads, or MPI ranks)");
  sub->allow_extras();
  sub->callback([] { not_built_yet("sweep", "scripts/sensitivity runs scenarios one after another"); });
}

}  // namespace moesim::tools
