// The Chrome trace export: valid JSON in the Trace Event Format, one complete event per operator on its resource's
// track, timestamps in microseconds matching the schedule.
#include "models/pipeline/chrome_trace.h"

#include <array>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/error.h"
#include "tests/pipeline/decode_slot.h"

using namespace moesim::pipeline;

namespace {

constexpr double kMs = 1e-3;

StageDurations decode_mb() { return moesim::pipeline::testing::decode_slot(160, 330); }

}  // namespace

TEST_CASE("chrome trace: it parses back as JSON with one event per operator on the expected resource's track") {
  Schedule s = schedule_layers(TemplateKind::kDecodeFiveStage, std::array{decode_mb(), decode_mb()});
  auto path = std::filesystem::temp_directory_path() / ("moesim_pipeline_trace_test-" + std::to_string(::getpid()) + ".json");
  write_chrome_trace(path.string(), s, {.first_layer = 2, .last_layer = 4});
  std::ifstream in(path);
  nlohmann::json trace = nlohmann::json::parse(in);  // throws on invalid JSON
  std::filesystem::remove(path);

  REQUIRE(trace.at("traceEvents").is_array());
  std::map<std::string, const nlohmann::json*> by_name;
  std::map<int, std::string> thread_names;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    REQUIRE(e.at("pid") == kTracePid);
    if (e.at("ph") == "M" && e.at("name") == "thread_name") thread_names[e.at("tid")] = e["args"]["name"];
    if (e.at("ph") != "X") continue;
    REQUIRE(by_name.emplace(e.at("name").get<std::string>(), &e).second);  // names are unique
  }
  CHECK(thread_names[kComputeTid] == "compute SMs");
  CHECK(thread_names[kInFlightTid] == "in flight (RDMA, no SMs)");
  CHECK(thread_names.count(kCommTid) == 0);  // decode's transfers hold no communication SMs
  // 3 layers x 2 micro-batches x 10 stages.
  REQUIRE(by_name.size() == 60);
  for (const ScheduledOp& op : s.ops) {
    auto it = by_name.find(op_name(op));
    if (op.layer < 2 || op.layer > 4) {
      CHECK(it == by_name.end());
      continue;
    }
    REQUIRE(it != by_name.end());
    const nlohmann::json& e = *it->second;
    CHECK(e.at("tid") == trace_tid(op.resource));
    CHECK(e.at("cat") == std::string(stage_name(op.stage)));
    // Microseconds, rounded to whole nanoseconds.
    CHECK(e.at("ts").get<double>() == Approx(op.start_s * 1e6).margin(1e-3));
    CHECK(e.at("dur").get<double>() == Approx((op.end_s - op.start_s) * 1e6).margin(2e-3));
    CHECK(e.at("args").at("layer") == op.layer);
  }
  CHECK(by_name.count("MB0 L3 DISPATCH") == 1);
  CHECK((*by_name["MB0 L3 DISPATCH"])["tid"] == kInFlightTid);
  CHECK((*by_name["MB0 L3 DISPATCH-SEND"])["tid"] == kComputeTid);
  CHECK((*by_name["MB0 L3 COMBINE-RECV"])["tid"] == kComputeTid);
  CHECK((*by_name["MB1 L3 ATTN-1"])["tid"] == kComputeTid);
  CHECK(trace.at("otherData").at("layer_period_us").get<double>() == Approx(s.layer_period_s * 1e6));
}

TEST_CASE("chrome trace: named operators nest inside their stage's slice, stretched with the compute factor") {
  StageOperators ops;
  ops[static_cast<int>(Stage::kAttn)] = {{"rmsnorm", 0.1 * kMs}, {"q_a+kv_a", 0.4 * kMs}, {"attention", 1.5 * kMs}};
  ops[static_cast<int>(Stage::kMlp)] = {{"grouped gemm up", 2.0 * kMs}, {"grouped gemm down", 1.0 * kMs}};
  ops[static_cast<int>(Stage::kDispatch)] = {{"deepep dispatch", 1.5 * kMs}};
  ops[static_cast<int>(Stage::kCombine)] = {{"deepep combine", 2.0 * kMs}};
  ops[static_cast<int>(Stage::kShared)] = {{"shared expert", 0.4 * kMs}};
  StageDurations mb = stage_durations(ops);
  REQUIRE(mb.attn == Approx(2.0 * kMs));
  std::array operators{ops, ops};
  Schedule s = schedule_layers(TemplateKind::kPrefillDualBatch, std::array{mb, mb}, 4,
                               {.compute_time_factor = sm_share_time_factor(132, 24)});
  nlohmann::json trace = nlohmann::json::parse(chrome_trace(s, {.operators = operators}).dump());
  // Whole nanoseconds, so that comparisons are exact.
  auto ns = [](const nlohmann::json& us) { return std::llround(us.get<double>() * 1e3); };
  std::map<std::string, std::pair<long long, long long>> stages;  // name -> [ts, end]
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] != "operator") stages[e["name"]] = {ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])};
  }
  int children = 0;
  std::set<std::string> names;
  std::map<std::string, long long> filled;  // stage name -> summed child durations
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X" || e["cat"] != "operator") continue;
    ++children;
    names.insert(e["name"]);
    auto [begin, end] = stages.at(e["args"]["stage_name"]);
    CHECK(ns(e["ts"]) >= begin);
    CHECK(ns(e["ts"]) + ns(e["dur"]) <= end);
    filled[e["args"]["stage_name"]] += ns(e["dur"]);
  }
  CHECK(children == 4 * 2 * 8);
  for (const auto& [stage, length] : filled)
    CHECK(length == stages.at(stage).second - stages.at(stage).first);  // layers x micro-batches x named operators
  CHECK(names.count("attention") == 1);
  // The attention operator of MB0 L0 fills 1.5 / 2.0 of its stage, which is stretched by 132 / 108.
  for (const auto& e : trace["traceEvents"]) {
    if (e["name"] == "attention" && e["args"]["layer"] == 0 && e["args"]["micro_batch"] == 0) {
      CHECK(e["dur"].get<double>() == Approx(1.5e3 * 132.0 / 108.0).margin(2e-3));
    }
  }
}

TEST_CASE("chrome trace: a layer range outside the schedule or an unwritable file is an error") {
  Schedule s = schedule_layers(TemplateKind::kDecodeFiveStage, std::array{decode_mb(), decode_mb()});
  CHECK_THROWS_AS(chrome_trace(s, {.first_layer = 3, .last_layer = 2}), std::invalid_argument);
  CHECK_THROWS_AS(chrome_trace(s, {.last_layer = 8}), std::invalid_argument);
  CHECK_THROWS_AS(write_chrome_trace("/nonexistent-dir/x.json", s), moesim::InputError);
}
