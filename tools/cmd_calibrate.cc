// moesim calibrate: cost model against measured microbenchmarks.
#include "tools/commands.h"

namespace moesim::tools {

void add_calibrate_command(CLI::App& app) {
  auto* sub = app.add_subcommand("calibrate", "cost model against measured microbenchmarks");
  sub->allow_extras();
  sub->callback([] { not_built_yet("calibrate", "9"); });
}

}  // namespace moesim::tools
