// The scenario's arrival source, read a batch ahead on a thread of its own: the same requests in the same order as
// the reader itself gives, a bad line reported where the run reaches it, and reading stops at the horizon.
#include "sim/cluster/arrivals.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/error.h"
#include "tests/traces/helpers.h"

using namespace moesim::cluster;
using Catch::Matchers::Contains;
using moesim::traces::test::TempDir;

namespace {

// An Azure-format trace of `good` requests one millisecond apart, then `tail` (a bad line, or nothing).
std::string azure_trace(int good, const std::string& tail) {
  std::string text = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (int i = 0; i < good; ++i) {
    text += "2023-11-16 18:00:" + std::to_string(10 + i / 1000) + "." + std::to_string(1000 + i % 1000).substr(1) +
            "0000," + std::to_string(100 + i % 50) + ",20\n";
  }
  return text + tail;
}

Scenario trace_scenario(const std::filesystem::path& file, double horizon_s) {
  Scenario s;
  s.horizon_s = horizon_s;
  s.workload.kind = "trace";
  s.workload.file = file.string();
  s.workload.format = "azure";
  resolve_geometry(s);
  return s;
}

}  // namespace

TEST_CASE(
    "arrivals: read ahead, a trace gives its requests in order, and a bad line past the first batches where the run "
    "reaches it") {
  TempDir dir;
  auto path = dir.write("bad.csv", azure_trace(10'000, "2023-11-16 18:00:59.0000000,abc,20\n"));
  auto source = make_arrivals(trace_scenario(path, 3600));
  RequestRecord r;
  int read = 0;
  int64_t last_ns = -1;
  std::string error;
  try {
    while (source->next(r)) {
      REQUIRE(r.arrival_ns > last_ns);
      REQUIRE(r.input_tokens == 100 + read % 50);
      last_ns = r.arrival_ns;
      ++read;
    }
  } catch (const moesim::InputError& e) {
    error = e.what();
  }
  CHECK(read == 10'000);
  CHECK_THAT(error, Contains("bad.csv:10002"));
}

TEST_CASE("arrivals: read ahead stops after the first request at the horizon, and its counts are of what was read") {
  TempDir dir;
  auto path = dir.write("long.csv", azure_trace(9'000, ""));
  // One millisecond apart from the first: the horizon at 2.5 s lets 2,500 in; the reader stops at the 2,501st.
  auto source = make_arrivals(trace_scenario(path, 2.5));
  RequestRecord r;
  int read = 0;
  while (source->next(r)) ++read;
  CHECK(read == 2'501);
  CHECK(source->stats().requests == 2'501);
  CHECK(source->stats().lines == 2'502);  // the header and the requests read
}
