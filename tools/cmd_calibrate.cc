// moesim calibrate: the cost model against measured microbenchmarks (hardware/measured/*.json). Exit 1 when a
// family's median error exceeds the budget or a point failed its reference check; exit 2 for a bad file.
//
//   moesim calibrate hardware/measured/sample-synthetic.json --hardware h100 --json
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "common/error.h"
#include "common/paths.h"
#include "models/calibrate/calibrate.h"
#include "tools/commands.h"

namespace moesim::tools {

void add_calibrate_command(CLI::App& app) {
  auto* sub = app.add_subcommand("calibrate", "cost model against measured microbenchmarks");
  struct Options {
    std::string file, hardware;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("file", o->file, "measurement file written by hardware/run-benchmarks")->required();
  sub->add_option("--hardware", o->hardware, "hardware kind to predict with (default: from the file's device name): " + hardware::hardware_help());
  sub->add_flag("--json", o->json, "print the report as JSON");
  sub->callback([o] {
    auto file = hardware::read_measurements(o->file);
    std::string name = o->hardware.empty() ? hardware::hardware_for_device(file.device_name) : o->hardware;
    if (name.empty())
      throw InputError(
          fmt::format("{}: device.name: \"{}\" matches no hardware spec; give --hardware", o->file, file.device_name));
    auto hw = hardware::load_hardware(name);
    auto model = llm::load_model("deepseek-v3");
    auto report = calibrate::compare(file, hw, model);
    if (o->json)
      std::printf("%s\n", calibrate::to_json(file, report).dump(2).c_str());
    else
      std::printf("%s", calibrate::format_text(file, report).c_str());
    if (!report.passed()) throw ExitStatus{1};
  });
}

}  // namespace moesim::tools
