// Fuzz target: the scenario loader, as `moesim run` uses it: resolve_scenario (extends, --set) and the strict
// parse_scenario. The input is split at lines "%%": the scenario file, then a base file it may extend
// ("extends": "base.json"), then one --set assignment a line. A scenario that parses must write itself out
// (resolved-scenario.json) as a document that parses back to the same thing.
#include <string>
#include <vector>

#include "common/scenario_file.h"
#include "fuzz/fuzz_support.h"
#include "sim/cluster/scenario.h"

MOESIM_FUZZ_TARGET(scenario) {
  using namespace moesim;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t cut = text.find("\n%%\n", start);
    parts.push_back(text.substr(start, cut == std::string::npos ? std::string::npos : cut - start));
    if (cut == std::string::npos) break;
    start = cut + 4;
  }
  auto file = fuzz::scratch().write("scenario.json", parts[0]);
  fuzz::scratch().write("base.json", parts.size() > 1 ? parts[1] : std::string("{}"));
  std::vector<std::string> overrides;
  for (size_t i = 2; i < parts.size(); ++i) {
    size_t line_start = 0;
    while (line_start <= parts[i].size()) {
      size_t end = parts[i].find('\n', line_start);
      std::string line = parts[i].substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
      if (!line.empty()) overrides.push_back(line);
      if (end == std::string::npos) break;
      line_start = end + 1;
    }
  }
  fuzz::expect_input_errors([&] {
    nlohmann::json doc = resolve_scenario(file, overrides);
    cluster::Scenario s = cluster::parse_scenario(doc, file.string());
    nlohmann::json written = cluster::to_json(s);
    cluster::Scenario again = cluster::parse_scenario(written, file.string());
    fuzz::require(cluster::to_json(again) == written, "resolved-scenario.json parses back to the same scenario");
  });
  return 0;
}
