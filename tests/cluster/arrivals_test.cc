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
  PrefillRecord r;
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
  PrefillRecord r;
  int read = 0;
  while (source->next(r)) ++read;
  CHECK(read == 2'501);
  CHECK(source->stats().requests == 2'501);
  CHECK(source->stats().lines == 2'502);  // the header and the requests read
}

TEST_CASE("arrivals: a trace's requests are for the scenario's model, another model's request is refused by line") {
  TempDir dir;
  const std::string head =
      "#moesim-trace v1\narrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes\n";
  auto path = dir.write("mixed.trace", head + "0,100,0,20,deepseek-v3,0,\n1,100,0,20,R1,1,\n2,100,0,20,kimi-k2,2,\n");
  Scenario s = trace_scenario(path, 3600);
  s.workload.format = "native";
  auto source = make_arrivals(s);
  CHECK(source->models() == std::vector<std::string>{"deepseek-v3", "deepseek-r1", "v3", "r1"});
  PrefillRecord r;
  REQUIRE(source->next(r));
  CHECK(r.model == 0);
  REQUIRE(source->next(r));
  CHECK(source->models()[r.model] == "r1");  // an alias: served by deepseek-v3's architecture
  CHECK_THROWS_WITH(source->next(r), Contains("mixed.trace:5: model: 'kimi-k2' is not served in this run (names "
                                              "accepted: deepseek-v3, deepseek-r1, v3, r1)"));
  // The same trace for a kimi-k2 scenario refuses the first line instead.
  s.model = "kimi-k2";
  s.hardware = "h200";
  s.fleet.decode.nodes_per_unit = 18;
  s.fleet.decode.redundant_experts = 48;  // 432 slots over EP144
  resolve_geometry(s);
  auto kimi = make_arrivals(s);
  CHECK_THROWS_WITH(kimi->next(r), Contains("mixed.trace:3: model: 'deepseek-v3' is not served in this run"));
}

TEST_CASE(
    "arrivals: a generated day serves the scenario's model: the profile's classes of another model take its name") {
  Scenario s;
  s.horizon_s = 60;
  s.workload.kind = "generator";
  s.workload.scale = 0.001;
  resolve_geometry(s);
  CHECK(make_arrivals(s)->models() == std::vector<std::string>{"deepseek-v3", "deepseek-r1", "v3", "r1"});
  s.model = "qwen3-235b-a22b";
  s.hardware = "h100";
  s.fleet.prefill.nodes_per_unit = 2;
  s.fleet.decode.nodes_per_unit = 2;
  resolve_geometry(s);
  auto source = make_arrivals(s);
  CHECK(source->models() == std::vector<std::string>{"qwen3-235b-a22b", "qwen3-235b"});
  PrefillRecord r;
  int read = 0;
  bool all_qwen = true;
  while (source->next(r) && read < 2000) {
    all_qwen = all_qwen && r.model == 0;
    ++read;
  }
  CHECK(read > 0);
  CHECK(all_qwen);
}
