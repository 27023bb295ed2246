// Fuzz target: moesim compare's --variant arguments, one a line, parsed as the command does (parse_variant, then
// check_distinct_names with the baseline first), and each variant's overrides applied to the base scenario and
// strictly parsed (tools/study/candidates.h). Nothing is simulated.
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/study_target.h"
#include "tools/study/candidates.h"
#include "tools/study/compare.h"

MOESIM_FUZZ_TARGET(compare_variant) {
  using namespace moesim;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> arguments;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    arguments.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  fuzz::expect_input_errors([&] {
    std::vector<study::Variant> variants{{.name = "baseline", .overrides = {}}};
    for (const auto& argument : arguments) {
      study::Variant v = study::parse_variant(argument);
      fuzz::require(!v.overrides.empty(), "a variant changes at least one key");
      variants.push_back(std::move(v));
    }
    study::check_distinct_names(variants);
    for (size_t k = 1; k < variants.size() && k <= 8; ++k) {
      nlohmann::json document = fuzz::base_scenario();
      study::variant_scenario(document, variants[k], fuzz::base_scenario_file());
    }
  });
  return 0;
}
