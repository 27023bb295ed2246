// Fuzz target: the strict JSON parser every JSON file goes through (common/json_parse.h). A document it accepts must
// write and read back to itself.
#include "common/json_parse.h"
#include "fuzz/fuzz_support.h"

MOESIM_FUZZ_TARGET(json) {
  using namespace moesim;
  std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_input_errors([&] {
    nlohmann::json doc = parse_json_text(text, "fuzz.json");
    fuzz::require(parse_json_text(doc.dump(), "dumped") == doc, "an accepted document round-trips");
  });
  return 0;
}
