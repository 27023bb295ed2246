#include "tools/study/candidates.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/scenario_file.h"
#include "tools/study/grid.h"

namespace moesim::study {

cluster::Scenario candidate_scenario(nlohmann::json& document, const Labels& labels, const std::string& scenario_file,
                                     const std::string& source, size_t candidate) {
  try {
    for (const auto& [key, value] : labels) apply_override(document, override_for(key, value));
    return cluster::parse_scenario(document, scenario_file);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: candidate {} ({}): {}", source, candidate, describe(labels), e.what()));
  }
}

cluster::Scenario variant_scenario(nlohmann::json& document, const Variant& variant, const std::string& scenario_file) {
  try {
    for (const auto& assignment : variant.overrides) apply_override(document, assignment);
    return cluster::parse_scenario(document, scenario_file);
  } catch (const InputError& e) {
    throw InputError(fmt::format("--variant {}: {}", variant.name, e.what()));
  }
}

}  // namespace moesim::study
