#include "sim/cluster/node_schedule.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "tests/traces/helpers.h"

using moesim::InputError;
using moesim::cluster::parse_schedule_time;
using moesim::cluster::read_node_schedule;
using moesim::traces::test::TempDir;

TEST_CASE("node schedule: wall-clock rows become steps in seconds from the first row's start") {
  TempDir dir;
  auto file = dir.write("nodes.csv",
                        "start,end,nodes\n"
                        "2025-02-28 23:50,2025-03-01 00:10,278\n"
                        "\n"
                        "2025-03-01 00:10,2025-03-01 01:10,200\n");
  auto steps = read_node_schedule(file);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0] == std::pair<double, int64_t>{0.0, 278});
  CHECK(steps[1] == std::pair<double, int64_t>{1200.0, 200});  // across a month's end
}

TEST_CASE("node schedule: rows may give plain seconds") {
  TempDir dir;
  auto steps = read_node_schedule(dir.write("nodes.csv", "start,end,nodes\n100,700,4\n700,1300,6\n"));
  REQUIRE(steps.size() == 2);
  CHECK(steps[1] == std::pair<double, int64_t>{600.0, 6});
  CHECK(parse_schedule_time("1970-01-02 00:01", "x") == 86460.0);
}

TEST_CASE("node schedule: a bad row is an error naming the file and line") {
  TempDir dir;
  auto fails = [&](const std::string& body, const std::string& message) {
    auto file = dir.write("bad.csv", "start,end,nodes\n0,60,4\n" + body);
    REQUIRE_THROWS_WITH(read_node_schedule(file), Catch::Contains(file.string() + ":3: " + message));
  };
  fails("60,120\n", "expected start,end,nodes");
  fails("60,120,0\n", "nodes: expected an integer in [1, 1000000], got \"0\"");
  fails("60,120,many\n", "nodes: expected an integer in [1, 1000000]");
  fails("60,120,4x\n", "nodes: expected an integer in [1, 1000000], got \"4x\"");
  fails("60,120,99999999999999999999\n", "nodes: expected an integer in [1, 1000000]");
  fails("nan,120,4\n", "not a time: \"nan\" (seconds must be finite");
  fails("60,inf,4\n", "not a time: \"inf\" (seconds must be finite");
  fails("1e999,120,4\n", "not a time: \"1e999\" (seconds must be finite");
  fails("2025-02-28 25:00,2025-02-28 26:00,4\n", "not a time: \"2025-02-28 25:00\" (a field is out of range)");
  fails("60,60,4\n", "end: \"60\" is not after the start \"60\"");
  fails("soon,120,4\n", "not a time: \"soon\"");
  fails("-10,120,4\n", "rows out of order");
}

TEST_CASE("node schedule: a missing or empty file is an error naming it") {
  TempDir dir;
  REQUIRE_THROWS_AS(read_node_schedule(dir.path("absent.csv")), InputError);
  auto empty = dir.write("empty.csv", "start,end,nodes\n");
  REQUIRE_THROWS_WITH(read_node_schedule(empty), Catch::Contains(empty.string() + ": no rows"));
}
