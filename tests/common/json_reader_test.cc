#include "common/json_reader.h"

#include <catch2/catch.hpp>

#include "common/error.h"

using moesim::InputError;
using moesim::IntRange;
using moesim::JsonReader;

TEST_CASE("json reader: a negative integer where a positive one is expected names the path") {
  auto doc = nlohmann::json::parse(R"({"fleet": {"decode": {"ep": -4}}})");
  JsonReader root(doc, "s.json");
  auto decode = root.object("fleet").object("decode");
  REQUIRE_THROWS_WITH(decode.integer("ep", IntRange::positive()),
                      "s.json: fleet.decode.ep: expected a positive integer, got -4");
}
