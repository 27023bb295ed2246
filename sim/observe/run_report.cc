#include "sim/observe/run_report.h"

#include <fmt/format.h>

#include <set>
#include <type_traits>

#include "common/error.h"

namespace moesim::observe {

RunReport make_report(const RunMetrics& metrics, const RunFacts& facts) {
  const MetricsConfig& config = metrics.config();
  const RequestTally& done = metrics.requests();
  const LatencyDistributions& lat = metrics.latency();
  const StepTotals& st = metrics.steps();
  const double prefill_node_s = metrics.node_time().prefill_node_s();
  const double decode_node_s = metrics.node_time().decode_node_s();
  const double node_s = prefill_node_s + decode_node_s;
  const auto steps = [](int64_t n) { return static_cast<double>(n); };

  RunReport r;
  r.scenario = facts.scenario;
  r.seed = facts.seed;
  r.complete = facts.stop_reason.empty();
  r.stop_reason = facts.stop_reason;
  r.simulated_s = static_cast<double>(metrics.end_ns()) / 1e9;
  r.events_executed = facts.events_executed;
  r.source = facts.source;

  // Conservation: the fleet's counts against the metrics' own (requests and tokens completed come from the
  // requests' records as they left).
  const RequestCounts& n = facts.counts;
  auto& c = r.conservation;
  c.requests_in = n.arrived;
  c.requests_completed = done.completed;
  c.requests_rejected = done.rejected;
  c.rejected_by_reason = done.rejected_by_reason;
  c.requests_in_flight_at_end = {n.waiting_for_unit, n.in_prefill, n.in_transfer, n.in_decode};
  c.requests_conserved = n.arrived == n.completed + n.rejected + n.in_flight();
  c.tokens_in = {n.arrived_input_tokens, n.arrived_output_tokens};
  c.tokens_rejected = {n.rejected_input_tokens, n.rejected_output_tokens};
  c.tokens_in_flight_at_end = {n.in_flight_input_tokens, n.in_flight_output_tokens};
  c.tokens_conserved =
      n.arrived_input_tokens == done.input_tokens() + n.rejected_input_tokens + n.in_flight_input_tokens &&
      n.arrived_output_tokens == done.tokens.output + n.rejected_output_tokens + n.in_flight_output_tokens;

  r.tokens = {done.input_tokens(), done.tokens.input_cached, done.tokens.output, st.prefill_computed};

  r.nodes.avg = ratio_or_zero(node_s, r.simulated_s);
  r.nodes.peak = metrics.node_time().peak_nodes();
  r.nodes.prefill_avg = ratio_or_zero(prefill_node_s, r.simulated_s);
  r.nodes.decode_avg = ratio_or_zero(decode_node_s, r.simulated_s);

  const auto output = static_cast<double>(done.tokens.output);
  r.throughput.prefill_tokens_per_s_per_node = ratio_or_zero(static_cast<double>(done.input_tokens()), prefill_node_s);
  r.throughput.decode_tokens_per_s_per_node = ratio_or_zero(output, decode_node_s);
  r.throughput.decode_capacity_tokens_per_s_per_node_at_slo =
      ratio_or_zero(st.decode_capacity_token_s, st.decode_busy_s * static_cast<double>(config.decode_nodes_per_unit));
  r.throughput.decode_utilization_at_slo = ratio_or_zero(output, st.decode_capacity_token_s);

  auto& l = r.latency;
  l.user_tokens_per_s_mean = lat.user_speed().mean();
  l.user_tokens_per_s_p10 = lat.user_speed().quantile(0.10);
  l.user_tokens_per_s_p50 = lat.user_speed().quantile(0.50);
  l.time_between_tokens_p50_s = lat.time_between_tokens().quantile(0.50);
  l.time_between_tokens_p99_s = lat.time_between_tokens().quantile(0.99);
  l.ttft_mean_s = lat.ttft().mean();
  l.ttft_p50_s = lat.ttft().quantile(0.50);
  l.ttft_p90_s = lat.ttft().quantile(0.90);
  l.ttft_p99_s = lat.ttft().quantile(0.99);
  l.decode_wait_p50_s = lat.decode_wait().quantile(0.50);
  l.decode_wait_p99_s = lat.decode_wait().quantile(0.99);
  l.e2e_p50_s = lat.e2e().quantile(0.50);
  l.e2e_p99_s = lat.e2e().quantile(0.99);

  auto& s = r.steps;
  s.prefill_steps = st.prefill_steps;
  s.decode_steps = st.decode_steps;
  s.prefill_step_mean_s = ratio_or_zero(st.prefill_busy_s, steps(st.prefill_steps));
  s.decode_step_mean_s = ratio_or_zero(st.decode_busy_s, steps(st.decode_steps));
  s.prefill_busy_s = st.prefill_busy_s;
  s.decode_busy_s = st.decode_busy_s;
  s.prefill_busy_fraction =
      ratio_or_zero(st.prefill_busy_s, prefill_node_s / static_cast<double>(config.prefill_nodes_per_unit));
  s.decode_busy_fraction =
      ratio_or_zero(st.decode_busy_s, decode_node_s / static_cast<double>(config.decode_nodes_per_unit));
  s.prefill_rank_balance_mean = ratio_or_zero(st.prefill_rank_balance_sum, steps(st.prefill_steps));
  s.decode_rank_balance_mean = ratio_or_zero(st.decode_rank_balance_sum, steps(st.decode_steps));
  s.expert_balance_mean = ratio_or_zero(st.expert_balance_sum, steps(st.decode_steps));
  s.decode_sequences_per_unit_mean = ratio_or_zero(st.decode_sequences_sum, steps(st.decode_steps));

  r.economics = money(config.prices, {prefill_node_s, decode_node_s}, done.tokens);

  if (facts.autoscaler) {
    // Prefill capacity: new tokens a node computes at full steps of the day's mix, and the share of it used. The
    // prefill node-seconds are taken back from the average (as summary.json states them), not the exact sum.
    AutoscalerFigures a;
    a.limit_bound_decisions = facts.autoscaler->limit_bound_decisions;
    double per_node = facts.autoscaler->prefill_capacity_per_unit / static_cast<double>(config.prefill_nodes_per_unit);
    double prefill_s = r.nodes.prefill_avg * r.simulated_s;
    a.prefill_capacity_new_tokens_per_s_per_node = per_node;
    a.prefill_utilization =
        per_node > 0 && prefill_s > 0 ? static_cast<double>(st.prefill_computed) / prefill_s / per_node : 0.0;
    r.autoscaler = a;
  }
  return r;
}

// ---- summary.json: one list of (key, member) pairs serves both directions ----

namespace {

// Every top-level key of summary.json but the autoscaler's, with its member. `Report` is RunReport or const.
template <typename Report, typename Field>
void for_each_field(Report& r, Field&& f) {
  f("scenario", r.scenario);
  f("seed", r.seed);
  f("complete", r.complete);
  f("simulated_s", r.simulated_s);
  f("events_executed", r.events_executed);
  f("source", r.source);
  auto& c = r.conservation;
  f("requests_in", c.requests_in);
  f("requests_completed", c.requests_completed);
  f("requests_rejected", c.requests_rejected);
  f("rejected_by_reason", c.rejected_by_reason);
  f("requests_in_flight_at_end", c.requests_in_flight_at_end);
  f("requests_conserved", c.requests_conserved);
  f("tokens_in", c.tokens_in);
  f("tokens_rejected", c.tokens_rejected);
  f("tokens_in_flight_at_end", c.tokens_in_flight_at_end);
  f("tokens_conserved", c.tokens_conserved);
  f("input_tokens", r.tokens.input);
  f("input_tokens_cached", r.tokens.input_cached);
  f("output_tokens", r.tokens.output);
  f("prefill_tokens_computed", r.tokens.prefill_computed);
  f("nodes_avg", r.nodes.avg);
  f("nodes_peak", r.nodes.peak);
  f("prefill_nodes_avg", r.nodes.prefill_avg);
  f("decode_nodes_avg", r.nodes.decode_avg);
  auto& t = r.throughput;
  f("prefill_tokens_per_s_per_node", t.prefill_tokens_per_s_per_node);
  f("decode_tokens_per_s_per_node", t.decode_tokens_per_s_per_node);
  f("decode_capacity_tokens_per_s_per_node_at_slo", t.decode_capacity_tokens_per_s_per_node_at_slo);
  f("decode_utilization_at_slo", t.decode_utilization_at_slo);
  auto& l = r.latency;
  f("user_tokens_per_s_mean", l.user_tokens_per_s_mean);
  f("user_tokens_per_s_p10", l.user_tokens_per_s_p10);
  f("user_tokens_per_s_p50", l.user_tokens_per_s_p50);
  f("time_between_tokens_p50_s", l.time_between_tokens_p50_s);
  f("time_between_tokens_p99_s", l.time_between_tokens_p99_s);
  f("ttft_mean_s", l.ttft_mean_s);
  f("ttft_p50_s", l.ttft_p50_s);
  f("ttft_p90_s", l.ttft_p90_s);
  f("ttft_p99_s", l.ttft_p99_s);
  f("decode_wait_p50_s", l.decode_wait_p50_s);
  f("decode_wait_p99_s", l.decode_wait_p99_s);
  f("e2e_p50_s", l.e2e_p50_s);
  f("e2e_p99_s", l.e2e_p99_s);
  auto& s = r.steps;
  f("prefill_steps", s.prefill_steps);
  f("decode_steps", s.decode_steps);
  f("prefill_step_mean_s", s.prefill_step_mean_s);
  f("decode_step_mean_s", s.decode_step_mean_s);
  f("prefill_busy_s", s.prefill_busy_s);
  f("decode_busy_s", s.decode_busy_s);
  f("prefill_busy_fraction", s.prefill_busy_fraction);
  f("decode_busy_fraction", s.decode_busy_fraction);
  f("prefill_rank_balance_mean", s.prefill_rank_balance_mean);
  f("decode_rank_balance_mean", s.decode_rank_balance_mean);
  f("expert_balance_mean", s.expert_balance_mean);
  f("decode_sequences_per_unit_mean", s.decode_sequences_per_unit_mean);
  f("cost_usd", r.economics.cost_usd);
  f("revenue_usd", r.economics.revenue_usd);
  f("margin", r.economics.margin);
}

template <typename Figures, typename Field>
void for_each_autoscaler_field(Figures& a, Field&& f) {
  f("autoscaler_limit_bound_decisions", a.limit_bound_decisions);
  f("prefill_capacity_new_tokens_per_s_per_node", a.prefill_capacity_new_tokens_per_s_per_node);
  f("prefill_utilization", a.prefill_utilization);
}

// The nested objects' keys, likewise.
template <typename InFlight, typename Field>
void for_each_field_of_in_flight(InFlight& v, Field&& f) {
  f("waiting_for_unit", v.waiting_for_unit);
  f("prefill", v.prefill);
  f("kv_transfer", v.kv_transfer);
  f("decode", v.decode);
}

template <typename Pair, typename Field>
void for_each_field_of_tokens(Pair& v, Field&& f) {
  f("input", v.input);
  f("output", v.output);
}

struct Writer {
  nlohmann::json& out;
  void operator()(const char* key, const Conservation::InFlight& v) const {
    nlohmann::json j = nlohmann::json::object();
    for_each_field_of_in_flight(v, Writer{j});
    out[key] = j;
  }
  void operator()(const char* key, const TokenPair& v) const {
    nlohmann::json j = nlohmann::json::object();
    for_each_field_of_tokens(v, Writer{j});
    out[key] = j;
  }
  void operator()(const char* key, const SourceStats& v) const {
    nlohmann::json j = {{"name", v.name}};
    if (v.has_counters) {
      j["lines"] = v.lines;
      j["requests"] = v.requests;
      j["skipped_bad"] = v.skipped_bad;
      if (!v.first_bad.empty()) j["first_bad"] = v.first_bad;
    }
    out[key] = j;
  }
  void operator()(const char* key, const std::map<std::string, int64_t>& v) const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, n] : v) j[k] = n;
    out[key] = j;
  }
  template <typename T>
  void operator()(const char* key, const T& v) const {
    out[key] = v;  // int64_t stays an integer, uint64_t unsigned, double a float
  }
};

// Strict reading: every key present with its JSON type; keys read are marked, so that unknown ones can be named.
struct Reader {
  const nlohmann::json& in;
  const std::string& where;  // "origin" or "origin: key"
  std::set<std::string>* seen;

  const nlohmann::json& at(const char* key) const {
    if (seen) seen->insert(key);
    auto it = in.find(key);
    if (it == in.end()) throw InputError(fmt::format("{}: {}: missing", where, key));
    return *it;
  }
  [[noreturn]] void wrong(const char* key, const char* what) const {
    throw InputError(fmt::format("{}: {}: expected {}", where, key, what));
  }
  nlohmann::json object_at(const char* key) const {
    const auto& j = at(key);
    if (!j.is_object()) wrong(key, "an object");
    return j;
  }
  void operator()(const char* key, Conservation::InFlight& v) const {
    auto j = object_at(key);
    for_each_field_of_in_flight(v, Reader{j, fmt::format("{}: {}", where, key), nullptr});
  }
  void operator()(const char* key, TokenPair& v) const {
    auto j = object_at(key);
    for_each_field_of_tokens(v, Reader{j, fmt::format("{}: {}", where, key), nullptr});
  }
  void operator()(const char* key, SourceStats& v) const {
    auto j = object_at(key);
    std::string inner = fmt::format("{}: {}", where, key);
    Reader r{j, inner, nullptr};
    r("name", v.name);
    v.has_counters = j.contains("requests");
    if (v.has_counters) {
      r("lines", v.lines);
      r("requests", v.requests);
      r("skipped_bad", v.skipped_bad);
      if (j.contains("first_bad")) r("first_bad", v.first_bad);
    }
  }
  void operator()(const char* key, std::map<std::string, int64_t>& v) const {
    auto j = object_at(key);
    for (const auto& [k, n] : j.items()) {
      if (!n.is_number_integer()) wrong(key, "integer counts");
      v[k] = n.get<int64_t>();
    }
  }
  void operator()(const char* key, std::vector<std::string>& v) const {
    const auto& j = at(key);
    if (!j.is_array()) wrong(key, "an array of strings");
    for (const auto& e : j) {
      if (!e.is_string()) wrong(key, "an array of strings");
      v.push_back(e.get<std::string>());
    }
  }
  template <typename T>
  void operator()(const char* key, T& v) const {
    const auto& j = at(key);
    if constexpr (std::is_same_v<T, bool>) {
      if (!j.is_boolean()) wrong(key, "true or false");
    } else if constexpr (std::is_integral_v<T>) {
      if (!j.is_number_integer()) wrong(key, "an integer");
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!j.is_number()) wrong(key, "a number");
    } else {
      if (!j.is_string()) wrong(key, "a string");
    }
    v = j.get<T>();
  }
};

}  // namespace

nlohmann::json to_json(const RunReport& report) {
  nlohmann::json j = nlohmann::json::object();
  for_each_field(report, Writer{j});
  if (!report.complete) Writer{j}("stop_reason", report.stop_reason);
  if (report.autoscaler) for_each_autoscaler_field(*report.autoscaler, Writer{j});
  return j;
}

RunReport report_from_json(const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) throw InputError(fmt::format("{}: expected a JSON object", origin));
  RunReport r;
  std::set<std::string> seen;
  Reader reader{doc, origin, &seen};
  for_each_field(r, reader);
  if (!r.complete) reader("stop_reason", r.stop_reason);
  if (doc.contains("autoscaler_limit_bound_decisions")) {
    r.autoscaler.emplace();
    for_each_autoscaler_field(*r.autoscaler, reader);
  }
  for (const auto& [key, value] : doc.items()) {
    if (!seen.count(key)) throw InputError(fmt::format("{}: {}: unknown key", origin, key));
  }
  return r;
}

}  // namespace moesim::observe
