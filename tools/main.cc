// moesim: the command-line entry point. Each subcommand lives in its own cmd_*.cc file.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "common/error.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"

namespace moesim::tools {

void not_built_yet(const char* name, const char* hint) {
  fmt::print(stderr, "moesim {}: not built yet ({})\n", name, hint);
  throw ExitStatus{kExitNotBuilt};
}

}  // namespace moesim::tools

int main(int argc, char** argv) {
  using namespace moesim::tools;
  CLI::App app{"moesim: a discrete-event simulator of disaggregated, expert-parallel MoE inference serving"};
  app.set_version_flag("--version", std::string("moesim ") + MOESIM_VERSION);
  app.require_subcommand(1);
  add_run_command(app);
  add_step_command(app);
  add_pipeline_command(app);
  add_eplb_command(app);
  add_trace_command(app);
  add_calibrate_command(app);
  add_fit_command(app);
  add_sweep_command(app);
  add_plan_command(app);
  add_compare_command(app);
  add_hardware_command(app);
  add_model_command(app);
  // NaN and infinities are no numbers of ours (a NaN passes every `x <= 0` check after); text is UTF-8.
  check_all_options(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : moesim::kExitBadInput;
  } catch (const moesim::InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return moesim::kExitBadInput;
  } catch (const ExitStatus& e) {
    return e.code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
