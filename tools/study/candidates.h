// A study's candidates as scenarios: the resolved base scenario with a grid candidate's values (sweep, plan) or a
// variant's overrides (compare) applied, strictly parsed. Each command checks every candidate this way before
// anything runs, so that a bad value fails at once; the fuzz targets of the grid, space and variant parsers
// (fuzz/fuzz_sweep_grid.cc, ...) call the same functions.
//
//   nlohmann::json doc = base;  // resolve_scenario(scenario_file, overrides)
//   cluster::Scenario s = candidate_scenario(doc, labels, scenario_file, "grid.json", 3);
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/cluster/scenario.h"
#include "tools/study/compare.h"
#include "tools/study/runner.h"

namespace moesim::study {

/// Applies each label (a grid key and its value) to `document` as an override and parses the result. A value or key
/// path the strict parser rejects is an InputError naming `source` (the grid or space file), the candidate's number
/// and values, and the parser's message.
cluster::Scenario candidate_scenario(nlohmann::json& document, const Labels& labels, const std::string& scenario_file,
                                     const std::string& source, size_t candidate);

/// Applies the variant's overrides to `document` and parses the result; a rejection is an InputError that names the
/// variant ("--variant NAME: ...").
cluster::Scenario variant_scenario(nlohmann::json& document, const Variant& variant, const std::string& scenario_file);

}  // namespace moesim::study
