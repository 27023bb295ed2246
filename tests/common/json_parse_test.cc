// The strict JSON parser every JSON file goes through (common/json_parse.h): duplicate keys, deep nesting and
// overflowing numbers are errors naming the file and the path; extends and --set overriding a key are not duplicates.
#include "common/json_parse.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/scenario_file.h"

using namespace moesim;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_json_text(text, "x.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string nested(const std::string& open, const std::string& close, int depth, const std::string& inner = "1") {
  std::string out;
  for (int i = 0; i < depth; ++i) out += open;
  out += inner;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

struct Scratch {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("moesim-json-test-" + std::to_string(getpid()));
  Scratch() { std::filesystem::create_directories(dir); }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
};

}  // namespace

TEST_CASE("json: a key twice in one object is an error naming the key, its path and the file") {
  CHECK(error_of(R"({"seed": 1, "seed": 2})") ==
        "x.json: seed: duplicate key \"seed\" (a key may appear once in an object)");
  CHECK(error_of(R"({"fleet": {"decode": {"units": 1, "ep": 2, "units": 3}}})") ==
        "x.json: fleet.decode.units: duplicate key \"units\" (a key may appear once in an object)");
  CHECK(error_of(R"({"rows": [{"m": 1}, {"m": 2, "m": 3}]})") ==
        "x.json: rows[1].m: duplicate key \"m\" (a key may appear once in an object)");
  // The same key in different objects is no duplicate.
  CHECK(error_of(R"({"a": {"k": 1}, "b": {"k": 2}, "k": 3})") == "(no error)");
}

TEST_CASE("json: nesting deeper than the limit is refused while parsing, even a few hundred thousand brackets deep") {
  CHECK(error_of(nested("[", "]", kMaxJsonDepth)) == "(no error)");
  CHECK(error_of(nested("{\"a\":", "}", kMaxJsonDepth)) == "(no error)");
  CHECK_THAT(error_of(nested("[", "]", kMaxJsonDepth + 1)),
             Catch::StartsWith("x.json: [0][0][0]") &&
                 Catch::EndsWith("nested deeper than 64 levels (the limit for moesim's JSON)"));
  // These crashed the loader (nlohmann's recursion) before: no tree this deep is ever built now.
  CHECK_THAT(error_of(nested("[", "]", 300'000)), Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(error_of(nested("{\"a\":", "}", 300'000)),
             Catch::StartsWith("x.json: a.a.a.a") && Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(error_of(std::string(300'000, '[')), Catch::Contains("nested deeper than 64 levels"));
}

TEST_CASE("json: a number that overflows a double is an error, not infinity") {
  CHECK(error_of(R"({"horizon_s": 1e999})") == "x.json:1:19: invalid JSON: number overflow parsing '1e999'");
  CHECK(error_of(R"({"a": [1, -1e400]})") == "x.json:1:16: invalid JSON: number overflow parsing '-1e400'");
  // Integers too large for 64 bits become (finite) doubles, as JSON allows.
  CHECK(parse_json_text("123456789012345678901234567890", "x").is_number_float());
}

TEST_CASE("json: syntax errors say line and column, and a missing file or a folder says so") {
  CHECK(error_of("{\n  \"seed\": 1,\n}") ==
        "x.json:3:1: invalid JSON: syntax error while parsing object key - unexpected '}'; expected string literal");
  Scratch s;
  REQUIRE_THROWS_WITH(load_json_file(s.dir / "absent.json"), Catch::EndsWith("absent.json: cannot open file"));
  REQUIRE_THROWS_WITH(load_json_file(s.dir), Catch::EndsWith(": is a folder, not a file"));
}

TEST_CASE("json: extends and --set overriding a key are not duplicates, but a duplicate inside either file is") {
  Scratch s;
  s.write("base.json", R"({"seed": 1, "fleet": {"decode": {"units": 1}}})");
  auto top = s.write("top.json", R"({"extends": "base.json", "seed": 2, "fleet": {"decode": {"units": 3}}})");
  auto doc = resolve_scenario(top, {"seed=4", "fleet.decode.units=5", "seed=6"});
  CHECK(doc["seed"] == 6);
  CHECK(doc["fleet"]["decode"]["units"] == 5);
  s.write("base.json", R"({"seed": 1, "fleet": {"decode": {"units": 1, "units": 2}}})");
  REQUIRE_THROWS_WITH(resolve_scenario(top),
                      Catch::EndsWith("base.json: fleet.decode.units: duplicate key \"units\" (a "
                                      "key may appear once in an object)"));
  s.write("base.json", R"({"seed": 1})");
  REQUIRE_THROWS_WITH(resolve_scenario(top, {R"(fleet={"router": "a", "router": "b"})"}),
                      "--set fleet={\"router\": \"a\", \"router\": \"b\"}: router: duplicate key \"router\" (a key may "
                      "appear once in an object)");
  // A --set value deeper than the limit, or a key path longer than it, is refused; the message stays short.
  std::string deep = "seed=" + nested("[", "]", 100'000);
  REQUIRE_THROWS_WITH(resolve_scenario(top, {deep}), Catch::Contains("nested deeper than 64 levels"));
  std::string long_path;
  for (int i = 0; i < 100; ++i) long_path += "a.";
  try {
    resolve_scenario(top, {long_path + "b=1"});
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::EndsWith(": a key path of more than 64 keys"));
    CHECK(std::string(e.what()).size() < 200);
  }
  // Text that is not JSON stays a string, as before.
  CHECK(resolve_scenario(top, {"name=steady"})["name"] == "steady");
}

TEST_CASE("json: text that is not UTF-8 is refused where it would reach a JSON document (a fuzzer found --set)") {
  CHECK(is_valid_utf8("plain ascii, and UTF-8: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("12.\xcf"));           // cut short
  CHECK_FALSE(is_valid_utf8("\xff"));              // never UTF-8
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a UTF-16 surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  nlohmann::json doc = nlohmann::json::object();
  // fuzz/regressions/scenario/invalid-utf8-in-set-value: this used to end in "internal error" (nlohmann's
  // type_error 316 when the message quoted the value).
  REQUIRE_THROWS_WITH(apply_override(doc, "workload.rate_per_s=12.\xcf"),
                      "--set workload.rate_per_s=12.\xcf: not valid UTF-8 text");
  // A string set in code may still be shown in a message.
  CHECK(describe_json(nlohmann::json("a\xff")) == "\"a\xef\xbf\xbd\"");
}
