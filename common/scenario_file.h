// Loading a scenario file: `"extends"` inheritance from base files and `--set a.b.c=value` overrides, giving the
// resolved JSON that the strict per-component parsers read and that is written next to every run's outputs.
//
//   auto resolved = moesim::resolve_scenario("scenarios/steady.json", {"fleet.decode.units=2"});
//   moesim::JsonReader root(resolved, "scenarios/steady.json");
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moesim {

/// Loads `file`, follows `"extends"` (a path relative to the extending file, or a list of them, applied in order;
/// the extending file wins), merges objects key by key, then applies each `key.path=value` override. A value that
/// parses as JSON is taken as JSON (numbers, true, [1,2]); anything else as a string. Missing parent objects
/// are created; the strict parse that follows rejects keys that do not exist. Errors name the file, the override, or
/// the cycle.
nlohmann::json resolve_scenario(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

/// Merges `patch` into `base`: objects recursively, everything else replaced.
void merge_json(nlohmann::json& base, const nlohmann::json& patch);

/// Applies one `a.b.c=value` override.
void apply_override(nlohmann::json& doc, const std::string& assignment);

}  // namespace moesim
