// The one strict JSON parser behind every JSON file moesim reads (scenarios, hardware specs, kernel tables, model
// files, measured microbenchmark files, EPLB weights, day profiles, published outcomes) and every `--set` value. Beyond
// JSON's grammar it rejects, naming the file and the JSON path:
//   - a key that appears twice in one object (nlohmann would keep the later value silently);
//   - nesting deeper than kMaxJsonDepth (nlohmann's tree and its destructor recurse: a few hundred thousand brackets
//     overflow the stack); the check runs while parsing, through nlohmann's SAX interface, which does not recurse,
//     so no deep tree is ever built;
//   - a number that overflows a double ("1e999" would become infinity).
//
//   nlohmann::json doc = moesim::load_json_file("scenarios/steady-small.json");
//   // "scenarios/x.json: fleet.decode.ep: duplicate key \"ep\" ..." if "ep" appears twice in fleet.decode
#pragma once

#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace moesim {

/// Objects and arrays nest at most this deep (our deepest file nests 6 levels).
inline constexpr int kMaxJsonDepth = 64;

/// Parses a JSON file strictly. A missing file, a syntax error (with line:column) or a breach of the rules above is
/// an InputError naming the file.
nlohmann::json load_json_file(const std::filesystem::path& file);

/// Parses JSON text strictly; `origin` names it in errors.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

/// As parse_json_text, but text that is not JSON at all (a syntax error) gives nullopt instead of an error: for
/// values that may be JSON or a bare string (`--set key=value`). Duplicate keys, deep nesting and numbers out of
/// range are still InputErrors.
std::optional<nlohmann::json> parse_json_value_or_nothing(const std::string& text, const std::string& origin);

/// Whether `text` is well-formed UTF-8 (what a JSON string must be: nlohmann refuses to write anything else).
bool is_valid_utf8(std::string_view text);

/// nlohmann's exception message without its "[json.exception.parse_error.101] parse error at line L, column C: "
/// prefix, for messages that say where themselves.
std::string json_error_detail(const std::exception& e);

}  // namespace moesim
