// moesim eplb: run the expert balancer on a weight matrix (JSON in, JSON out).
#include "tools/commands.h"

namespace moesim::tools {

void add_eplb_command(CLI::App& app) {
  auto* sub = app.add_subcommand("eplb", "run the expert balancer on a weight matrix (JSON in, JSON out)");
  sub->allow_extras();
  sub->callback([] { not_built_yet("eplb", "6"); });
}

}  // namespace moesim::tools
