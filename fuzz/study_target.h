// Shared pieces of the study fuzz targets (sweep_grid, plan_space, compare_variant): the base scenario the commands
// would resolve from the user's SCENARIO (scenarios/steady-small.json, resolved once per process), and the check every
// command makes of its candidates before anything runs (tools/study/candidates.h), on a bounded sample of them.
//
//   check_candidates(read_grid(file), "grid.json");  // each sampled candidate applied to the base and parsed
#pragma once

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "common/paths.h"
#include "common/scenario_file.h"
#include "fuzz/fuzz_support.h"
#include "tools/study/candidates.h"
#include "tools/study/grid.h"

namespace moesim::fuzz {

/// The scenario file the candidates are applied to, and its resolved document.
inline const std::string& base_scenario_file() {
  static const std::string file = data_path("scenarios/steady-small.json").string();
  return file;
}
inline const nlohmann::json& base_scenario() {
  static const nlohmann::json doc = resolve_scenario(base_scenario_file());
  return doc;
}

/// Parses up to `limit` candidates of the grid as the commands do, spread evenly over it (the first and the last
/// included), so that every entry's values are reached without parsing a million scenarios for one input: the
/// commands parse all of them, but each parse is the same code.
inline void check_candidates(const study::Grid& grid, const std::string& source, size_t limit = 8) {
  const size_t n = grid.candidates.size();
  require(n >= 1, "a grid has at least one candidate");
  const size_t count = std::min(n, limit);
  for (size_t i = 0; i < count; ++i) {
    size_t c = count == 1 ? 0 : i * (n - 1) / (count - 1);
    const auto& values = grid.candidates[c];
    require(values.size() == grid.keys.size(), "a candidate has one value per key");
    study::Labels labels;
    for (size_t k = 0; k < grid.keys.size(); ++k) labels.emplace_back(grid.keys[k], values[k]);
    nlohmann::json document = base_scenario();
    study::candidate_scenario(document, labels, base_scenario_file(), source, c);
  }
}

}  // namespace moesim::fuzz
