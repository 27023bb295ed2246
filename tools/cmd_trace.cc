// moesim trace: generate, inspect and convert request traces.
#include "tools/commands.h"

namespace moesim::tools {

void add_trace_command(CLI::App& app) {
  auto* sub = app.add_subcommand("trace", "generate, inspect and convert request traces");
  sub->allow_extras();
  sub->callback([] { not_built_yet("trace", "5"); });
}

}  // namespace moesim::tools
