#include "sim/observe/run_report.h"

#include <catch2/catch.hpp>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "common/error.h"

using namespace moesim::observe;

namespace {

// A short run: a fleet, one completed and one rejected request, a step of each kind; facts with every optional part.
RunReport sample_report() {
  MetricsConfig c;
  c.prices.prefill.gpus_per_node = c.prices.decode.gpus_per_node = 8;
  RunMetrics m(c);
  m.on_fleet_size({0, 4, 18, 1, 1});
  m.on_prefill_step({0, 500'000'000, 0, 12'000, 3, 0.9, 0.8, 0.0, 1e9, 0});
  m.on_decode_step({600'000'000, 50'000'000, 0, 300, 280, 0.95, 0.7, 0.4, 0.0, 300});
  m.on_request_done({0, 1'000'000'000, 1'200'000'000, 11'000'000'000, 4000, 1000, 200, 1, false, nullptr, 0, 0});
  m.on_request_done({0, -1, -1, 5, 900'000, 0, 10, 0, true, "too long", 0, 0});
  m.finish(120'000'000'000);
  RunFacts f;
  f.scenario = "sample";
  f.seed = 7;
  f.counts = {.arrived = 2, .completed = 1, .rejected = 1};
  f.counts.arrived_input_tokens = 904'000;
  f.counts.arrived_output_tokens = 210;
  f.counts.rejected_input_tokens = 900'000;
  f.counts.rejected_output_tokens = 10;
  f.events_executed = 12345;
  f.source = {.name = "trace x",
              .has_counters = true,
              .lines = 3,
              .requests = 2,
              .skipped_bad = 1,
              .first_bad = {"x.csv:2: bad"}};
  f.autoscaler = AutoscalerStats{3, 50'000.0};
  return make_report(m, f);
}

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  return keys;
}

}  // namespace

TEST_CASE("run report: summary.json has every figure under its documented key, and its conservation holds") {
  RunReport r = sample_report();
  auto j = to_json(r);
  // summary.json's keys, sorted (the same set as before the report was typed).
  const std::string expected =
      "autoscaler_limit_bound_decisions complete cost_usd decode_busy_fraction decode_busy_s "
      "decode_capacity_tokens_per_s_per_node_at_slo decode_nodes_avg decode_rank_balance_mean "
      "decode_sequences_per_unit_mean decode_step_mean_s decode_steps decode_tokens_per_s_per_node "
      "decode_utilization_at_slo decode_wait_p50_s decode_wait_p99_s e2e_p50_s e2e_p99_s events_executed "
      "expert_balance_mean input_tokens input_tokens_cached margin nodes_avg nodes_peak output_tokens "
      "prefill_busy_fraction prefill_busy_s prefill_capacity_new_tokens_per_s_per_node prefill_nodes_avg "
      "prefill_rank_balance_mean prefill_step_mean_s prefill_steps prefill_tokens_computed "
      "prefill_tokens_per_s_per_node prefill_utilization rejected_by_reason requests_completed "
      "requests_conserved requests_in requests_in_flight_at_end requests_rejected revenue_usd scenario seed "
      "simulated_s source time_between_tokens_p50_s time_between_tokens_p99_s tokens_conserved tokens_in "
      "tokens_in_flight_at_end tokens_rejected ttft_mean_s ttft_p50_s ttft_p90_s ttft_p99_s "
      "user_tokens_per_s_mean user_tokens_per_s_p10 user_tokens_per_s_p50";
  std::istringstream words(expected);
  CHECK(keys_of(j) == std::set<std::string>(std::istream_iterator<std::string>(words), {}));
  // Counts stay integers, figures are doubles (summary.json's number formatting depends on it).
  CHECK(j["nodes_peak"].is_number_integer());
  CHECK(j["prefill_tokens_computed"].is_number_integer());
  CHECK(j["seed"].is_number_unsigned());
  CHECK(j["nodes_avg"].is_number_float());
  CHECK(j["requests_conserved"].is_boolean());
  CHECK(j["complete"] == true);
  CHECK_FALSE(j.contains("stop_reason"));  // only a stopped run says why
  CHECK(keys_of(j["requests_in_flight_at_end"]) ==
        std::set<std::string>{"decode", "kv_transfer", "prefill", "waiting_for_unit"});
  CHECK(keys_of(j["tokens_in"]) == std::set<std::string>{"input", "output"});
  CHECK(r.conservation.requests_conserved);
  CHECK(r.conservation.tokens_conserved);
  CHECK(r.conservation.rejected_by_reason.at("too long") == 1);
  // Without a controller, the autoscaler's figures are absent; a source without counters writes only its name.
  r.autoscaler.reset();
  r.source = {.name = "constant rate"};
  j = to_json(r);
  CHECK_FALSE(j.contains("prefill_utilization"));
  CHECK(keys_of(j["source"]) == std::set<std::string>{"name"});
}

TEST_CASE("run report: reading summary.json back gives the same report, and writing it again the same text") {
  RunReport r = sample_report();
  std::string text = to_json(r).dump(2);
  RunReport back = report_from_json(nlohmann::json::parse(text), "summary.json");
  CHECK(back == r);
  CHECK(to_json(back).dump(2) == text);
  r.autoscaler.reset();
  r.source = {.name = "constant rate"};
  CHECK(report_from_json(to_json(r), "summary.json") == r);
}

TEST_CASE("run report: a summary with an unknown, missing or mistyped key is refused, naming the key") {
  auto j = to_json(sample_report());
  auto unknown = j;
  unknown["nodes_avrg"] = 1.0;
  REQUIRE_THROWS_WITH(report_from_json(unknown, "s.json"), Catch::Contains("s.json: nodes_avrg: unknown key"));
  auto missing = j;
  missing.erase("margin");
  REQUIRE_THROWS_WITH(report_from_json(missing, "s.json"), Catch::Contains("s.json: margin: missing"));
  auto mistyped = j;
  mistyped["nodes_peak"] = 2.5;
  REQUIRE_THROWS_WITH(report_from_json(mistyped, "s.json"), Catch::Contains("nodes_peak: expected an integer"));
  auto nested = j;
  nested["tokens_in"].erase("output");
  REQUIRE_THROWS_WITH(report_from_json(nested, "s.json"), Catch::Contains("tokens_in: output: missing"));
}

TEST_CASE("run report: a stopped run says complete: false and why, and reads back the same") {
  RunReport r = sample_report();
  r.complete = false;
  r.stop_reason = "interrupted by SIGINT";
  auto j = to_json(r);
  CHECK(j["complete"] == false);
  CHECK(j["stop_reason"] == "interrupted by SIGINT");
  CHECK(report_from_json(nlohmann::json::parse(j.dump(2)), "summary.json") == r);
  // A complete run has no stop reason; a stopped one must give it.
  auto complete_with_reason = to_json(sample_report());
  complete_with_reason["stop_reason"] = "x";
  REQUIRE_THROWS_WITH(report_from_json(complete_with_reason, "s.json"),
                      Catch::Contains("s.json: stop_reason: unknown key"));
  j.erase("stop_reason");
  REQUIRE_THROWS_WITH(report_from_json(j, "s.json"), Catch::Contains("s.json: stop_reason: missing"));
}
