// A sweep's grid: scenario key paths, each with a list of values, and groups of coupled keys that move together
// (zip). Expanding it gives the candidates: every combination of the plain keys' values and each zip group's aligned
// tuples. Parsing is strict: every mistake is an InputError naming the grid file and the JSON path.
//
//   Grid g = read_grid("grid.json");  // {"hardware": ["h800", "h200"], "zip": [{"a.b": [1, 2], "a.c": [3, 4]}]}
//   for (const auto& values : g.candidates) ...  // 4 candidates; values[i] is the value of g.keys[i]
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moesim::study {

/// The expanded grid.
struct Grid {
  /// The key paths, in the grid's order: each plain key, and each zip group's keys, where they stand in the file.
  std::vector<std::string> keys;
  /// Every candidate's values, one per key. Ordered like nested loops over the grid's entries in file order: the
  /// first entry varies slowest, the last fastest; a zip group is one entry whose values are its tuples.
  std::vector<std::vector<nlohmann::json>> candidates;
};

/// Expands a grid document; `origin` (the file) names it in errors. The document is an object whose keys are
/// scenario key paths ("fleet.decode.nodes_per_unit") mapped to non-empty lists of values, and an optional "zip": a
/// non-empty list of objects, each mapping key paths to lists of one common length. A key may appear once only;
/// "seed" is not a grid key (the seeds come from the command line). An empty object is one candidate with no keys.
Grid parse_grid(const nlohmann::ordered_json& doc, const std::string& origin);

/// Reads and expands a grid file (a missing file or invalid JSON is an InputError naming it).
Grid read_grid(const std::filesystem::path& file);

/// The `key.path=value` override (common/scenario_file.h) that sets `key` to `value`.
std::string override_for(const std::string& key, const nlohmann::json& value);

}  // namespace moesim::study
