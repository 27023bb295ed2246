// moesim pipeline: one layer's overlap timeline; --chrome-trace FILE for Perfetto.
#include "tools/commands.h"

namespace moesim::tools {

void add_pipeline_command(CLI::App& app) {
  auto* sub = app.add_subcommand("pipeline", "one layer's overlap timeline; --chrome-trace FILE for Perfetto");
  sub->allow_extras();
  sub->callback([] { not_built_yet("pipeline", "4"); });
}

}  // namespace moesim::tools
