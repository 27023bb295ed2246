#include "sim/cluster/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "common/paths.h"
#include "hardware/hardware.h"
#include "models/cost/expert_popularity.h"
#include "models/llm/model.h"
#include "sim/policy/autoscaler.h"
#include "sim/policy/expert_balancer.h"
#include "sim/policy/unit_router.h"
#include "traces/format_registry.h"

namespace moesim::cluster {

namespace {

// Times in a scenario stay within 30 days, so that every time and its sums fit int64 nanoseconds.
constexpr double kMaxSeconds = 30.0 * 86400.0;
constexpr Range kPositiveSeconds{0.0, kMaxSeconds, true, "a positive number of seconds up to 2592000 (30 days)"};
constexpr Range kNonNegativeSeconds{0.0, kMaxSeconds, false, "a number of seconds in [0, 2592000] (30 days)"};

std::string known_hardware() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("hardware/specs"), ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A policy name that `registry` holds; the error lists the ones it does.
template <typename Registry>
std::string registered_or(JsonReader& r, std::string_view key, std::string fallback, const Registry& registry) {
  std::string name = r.string_or(key, std::move(fallback));
  if (!registry.contains(name)) r.fail(key, fmt::format("expected one of {}, got \"{}\"", registry.known(), name));
  return name;
}

WorkloadConfig parse_workload(JsonReader r) {
  WorkloadConfig w;
  w.kind = r.choice_or("kind", w.kind, {"generator", "trace", "constant"});
  w.profile = r.choice_or("profile", w.profile, {"deepseek-day"});
  // Above 1 the day is denser: its Poisson rate times scale, the same shape and request mix (traces/day_generator.h).
  w.scale = r.number_or("scale", w.scale, {0.0, 100.0, true, "a number in (0, 100]"});
  w.rate_per_s = r.number_or("rate_per_s", w.rate_per_s, {0.0, 1e7, false, "a number of requests/s in [0, 1e7]"});
  w.file = r.string_or("file", w.file);
  w.format = registered_or(r, "format", w.format, traces::trace_formats());
  w.skip_bad = r.boolean_or("skip_bad", w.skip_bad);
  w.start_s = r.number_or("start_s", w.start_s, {0.0, 86400.0, false, "a number of seconds in [0, 86400]"});
  w.kv_cache_bytes =
      r.number_or("kv_cache_bytes", w.kv_cache_bytes, {0.0, 1e18, false, "a number of bytes in [0, 1e18]"});
  if (w.kind == "trace" && w.file.empty()) r.fail("file", "a trace workload needs a file");
  if (w.kind == "constant" && w.rate_per_s <= 0.0) r.fail("rate_per_s", "a constant workload needs a positive rate");
  r.finish();
  return w;
}

// What a unit's geometry is built from: the node of the hardware spec and the model.
struct GeometrySource {
  std::shared_ptr<const hardware::Hardware> hw;
  llm::ModelSpec model;  // at its native precision
};

GeometrySource geometry_source(const Scenario& s) {
  return {std::make_shared<const hardware::Hardware>(hardware::load_hardware(s.hardware)),
          llm::load_model(model_ref(s))};
}

llm::UnitGeometry pool_geometry(const GeometrySource& g, const PoolConfig& p) {
  return llm::unit_geometry(g.hw->node, g.model, p.nodes_per_unit, p.redundant_experts);
}

// Each pool's geometry, and the hardware and the model at the scenario's precision, loaded once.
// Sets each pool's geometry (its KV bytes a token among it: the model's at the scenario's precision), the loaded
// hardware and model, and the GPUs per node the economics bill.
void set_geometry(Scenario& s, const GeometrySource& g) {
  const GeometrySource at{g.hw, cost::with_precision(g.model, s.precision, g.hw->gpu)};
  s.geometry = {pool_geometry(at, s.fleet.prefill), pool_geometry(at, s.fleet.decode), g.hw,
                std::make_shared<const llm::ModelSpec>(at.model)};
  s.economics.gpus_per_node = s.geometry.prefill.gpus_per_node;
}

PoolConfig parse_pool(JsonReader r, PoolConfig p, bool prefill, const GeometrySource& g) {
  p.units = r.integer_or("units", p.units, {0, 10'000, "an integer in [0, 10000]"});
  p.nodes_per_unit = r.integer_or("nodes_per_unit", p.nodes_per_unit, {1, 1'000, "an integer in [1, 1000]"});
  p.redundant_experts = r.integer_or("redundant_experts", p.redundant_experts, IntRange::non_negative());
  p.overlap = r.boolean_or("overlap", p.overlap);
  p.attention = r.choice_or("attention", p.attention, {"dp", "tp"});
  if (prefill) {
    p.balancer = registered_or(r, "balancer", p.balancer, policy::builtin_prefill_balancers());
    p.chunk_tokens = r.integer_or("chunk_tokens", p.chunk_tokens, {1, 1 << 20, "an integer in [1, 1048576]"});
  } else {
    p.balancer = registered_or(r, "balancer", p.balancer, policy::builtin_decode_balancers());
    p.mtp = r.boolean_or("mtp", p.mtp);
  }
  try {
    pool_geometry(g, p);
  } catch (const InputError& err) {
    r.fail("redundant_experts", err.what());
  }
  r.finish();
  return p;
}

// The `autoscaler` object over `c` (its defaults).
void parse_autoscaler(JsonReader a, AutoscalerConfig& c) {
  c.policy = registered_or(a, "policy", c.policy, policy::builtin_autoscalers());
  c.schedule = a.string_or("schedule", c.schedule);
  c.interval_s = a.number_or("interval_s", c.interval_s, kPositiveSeconds);
  c.startup_s = a.number_or("startup_s", c.startup_s, kNonNegativeSeconds);
  c.decode_high = a.number_or("decode_high", c.decode_high, Range::fraction());
  c.decode_low = a.number_or("decode_low", c.decode_low, Range::fraction());
  c.prefill_high = a.number_or("prefill_high", c.prefill_high, Range::fraction());
  c.prefill_low = a.number_or("prefill_low", c.prefill_low, Range::fraction());
  c.backlog_horizon_s = a.number_or("backlog_horizon_s", c.backlog_horizon_s, kPositiveSeconds);
  c.max_nodes = a.integer_or("max_nodes", c.max_nodes, IntRange::non_negative());
  c.decode_node_share = a.number_or("decode_node_share", c.decode_node_share, {0.0, 1.0, true, "a number in (0, 1]"});
  c.warmup_s = a.number_or("warmup_s", c.warmup_s, kNonNegativeSeconds);
  c.forecast_error_s = a.number_or("forecast_error_s", c.forecast_error_s,
                                   {-86400.0, 86400.0, false, "a number of seconds in [-86400, 86400]"});
  c.forecast_noise = a.number_or("forecast_noise", c.forecast_noise, {0.0, 2.0, false, "a number in [0, 2]"});
  // A crossing or backlog shorter than a unit's start-up is gone before a unit ordered for it could serve.
  c.persist_s = a.number_or("persist_s", c.startup_s, kNonNegativeSeconds);
  c.noise_z = a.number_or("noise_z", c.noise_z, {0.0, 10.0, false, "a number in [0, 10]"});
  c.noise_window_s = a.number_or("noise_window_s", c.noise_window_s, kPositiveSeconds);
  if (c.decode_low >= c.decode_high) a.fail("decode_low", "must be below decode_high");
  if (c.prefill_low >= c.prefill_high) a.fail("prefill_low", "must be below prefill_high");
  a.finish();
}

// The `economics` object over `c` (the GPU-hour price already the hardware's).
void parse_economics(JsonReader e, observe::Prices& c) {
  c.usd_per_gpu_hour = e.number_or("usd_per_gpu_hour", c.usd_per_gpu_hour, Range::non_negative());
  c.usd_per_m_input_cache_hit =
      e.number_or("usd_per_m_input_cache_hit", c.usd_per_m_input_cache_hit, Range::non_negative());
  c.usd_per_m_input_cache_miss =
      e.number_or("usd_per_m_input_cache_miss", c.usd_per_m_input_cache_miss, Range::non_negative());
  c.usd_per_m_output = e.number_or("usd_per_m_output", c.usd_per_m_output, Range::non_negative());
  e.finish();
}

// The `experts` object over `c`.
void parse_experts(JsonReader e, ExpertConfig& c) {
  c.skew = e.string_or("skew", c.skew);
  try {
    cost::parse_skew_spec(c.skew, "skew");
  } catch (const InputError& err) {
    e.fail("skew", err.what());
  }
  c.eplb = registered_or(e, "eplb", c.eplb, policy::builtin_expert_balancers());
  c.replan_interval_s = e.number_or("replan_interval_s", c.replan_interval_s, kPositiveSeconds);
  c.window_s = e.number_or("window_s", c.window_s, kPositiveSeconds);
  e.finish();
}

}  // namespace

Scenario parse_scenario(const nlohmann::json& doc, const std::string& file) {
  JsonReader r(doc, file);
  Scenario s;
  s.name = r.string_or("name", s.name);
  s.about = r.string_or("about", s.about);
  s.seed = static_cast<uint64_t>(r.integer_or("seed", 1, IntRange::non_negative()));
  s.hardware = r.string_or("hardware", s.hardware);
  if (!file_exists(data_path("hardware/specs/" + s.hardware + ".json"))) {
    r.fail("hardware", fmt::format("unknown hardware \"{}\" (known: {})", s.hardware, known_hardware()));
  }
  s.model = r.string_or("model", s.model);
  const GeometrySource geometry = [&] {
    try {
      return geometry_source(s);
    } catch (const InputError& e) {
      r.fail("model", e.what());
    }
  }();
  if (auto p = r.optional_object("precision")) {
    s.precision = {p->string_or("moe", ""), p->string_or("attention", ""), p->string_or("kv", "")};
    p->finish();
  }
  try {
    // Resolved against the model (native precisions) and checked against the hardware kind.
    auto m = cost::with_precision(geometry.model, s.precision, geometry.hw->gpu);
    s.precision = {std::string(hardware::precision_name(m.precision.moe)),
                   std::string(hardware::precision_name(m.precision.attention)),
                   std::string(hardware::precision_name(m.precision.kv))};
  } catch (const InputError& e) {
    r.fail("precision", e.what());
  }
  s.calibration = r.string_or("calibration", s.calibration);
  s.published = r.string_or("published", s.published);
  if (!s.published.empty() && s.published.find("published") == std::string::npos) {
    r.fail("published", "a comparison file's name must say \"published\"");
  }
  s.horizon_s = r.number_or("horizon_s", s.horizon_s, kPositiveSeconds);
  if (r.has("workload")) s.workload = parse_workload(r.object("workload"));
  if (auto fleet = r.optional_object("fleet")) {
    PoolConfig decode_defaults;
    decode_defaults.nodes_per_unit = 18;
    if (fleet->has("prefill")) s.fleet.prefill = parse_pool(fleet->object("prefill"), s.fleet.prefill, true, geometry);
    s.fleet.decode = decode_defaults;
    if (fleet->has("decode")) s.fleet.decode = parse_pool(fleet->object("decode"), decode_defaults, false, geometry);
    s.fleet.router = registered_or(*fleet, "router", s.fleet.router, policy::builtin_unit_routers());
    fleet->finish();
  } else {
    s.fleet.decode.nodes_per_unit = 18;
  }
  if (auto slo = r.optional_object("slo")) {
    s.slo.user_tokens_per_s = slo->number_or("user_tokens_per_s", s.slo.user_tokens_per_s, Range::positive());
    slo->finish();
  }
  if (auto e = r.optional_object("experts")) parse_experts(*e, s.experts);
  if (auto a = r.optional_object("autoscaler")) parse_autoscaler(*a, s.autoscaler);
  // The GPU-hour price is the hardware spec's rental price unless the scenario sets its own.
  s.economics.usd_per_gpu_hour = geometry.hw->node.usd_per_gpu_hour;
  if (auto e = r.optional_object("economics")) parse_economics(*e, s.economics);
  r.finish();
  s.base_dir = std::filesystem::path(file).parent_path().string();
  set_geometry(s, geometry);
  return s;
}

void check_geometry(const Scenario& s) {
  auto matches = [](const llm::UnitGeometry& g, const PoolConfig& p) {
    return g.gpus > 0 && g.nodes_per_unit == p.nodes_per_unit &&
           g.expert_slots - g.routed_experts == p.redundant_experts;
  };
  bool loaded = s.geometry.hardware && s.geometry.model && s.geometry.hardware->name == s.hardware;
  if (!loaded || !matches(s.geometry.prefill, s.fleet.prefill) || !matches(s.geometry.decode, s.fleet.decode)) {
    throw std::logic_error("scenario: the unit geometry does not match the fleet; resolve_geometry() again");
  }
}

std::string model_ref(const Scenario& s) {
  if (!llm::canonical_model_name(s.model).empty()) return s.model;
  std::filesystem::path p(s.model);
  return (p.is_absolute() ? p : data_path(s.model)).string();
}

std::filesystem::path resolve_path(const Scenario& s, const std::string& file) {
  std::filesystem::path p(file);
  return p.is_absolute() || s.base_dir.empty() ? p : std::filesystem::path(s.base_dir) / p;
}

void resolve_geometry(Scenario& s) {
  const GeometrySource geometry = geometry_source(s);
  set_geometry(s, geometry);
}

nlohmann::json to_json(const Scenario& s) {
  auto pool = [](const PoolConfig& p, bool prefill) {
    nlohmann::json j = {{"units", p.units},
                        {"nodes_per_unit", p.nodes_per_unit},
                        {"redundant_experts", p.redundant_experts},
                        {"balancer", p.balancer},
                        {"overlap", p.overlap},
                        {"attention", p.attention}};
    if (prefill) {
      j["chunk_tokens"] = p.chunk_tokens;
    } else {
      j["mtp"] = p.mtp;
    }
    return j;
  };
  const auto& w = s.workload;
  const auto& a = s.autoscaler;
  const auto& e = s.economics;
  return {
      {"name", s.name},
      {"about", s.about},
      {"seed", s.seed},
      {"hardware", s.hardware},
      {"model", s.model},
      {"precision", {{"moe", s.precision.moe}, {"attention", s.precision.attention}, {"kv", s.precision.kv}}},
      {"calibration", s.calibration},
      {"published", s.published},
      {"horizon_s", s.horizon_s},
      {"workload",
       {{"kind", w.kind},
        {"profile", w.profile},
        {"scale", w.scale},
        {"rate_per_s", w.rate_per_s},
        {"file", w.file},
        {"format", w.format},
        {"skip_bad", w.skip_bad},
        {"start_s", w.start_s},
        {"kv_cache_bytes", w.kv_cache_bytes}}},
      {"fleet",
       {{"prefill", pool(s.fleet.prefill, true)}, {"decode", pool(s.fleet.decode, false)}, {"router", s.fleet.router}}},
      {"slo", {{"user_tokens_per_s", s.slo.user_tokens_per_s}}},
      {"experts",
       {{"skew", s.experts.skew},
        {"eplb", s.experts.eplb},
        {"replan_interval_s", s.experts.replan_interval_s},
        {"window_s", s.experts.window_s}}},
      {"autoscaler",
       {{"policy", a.policy},
        {"schedule", a.schedule},
        {"interval_s", a.interval_s},
        {"startup_s", a.startup_s},
        {"decode_high", a.decode_high},
        {"decode_low", a.decode_low},
        {"prefill_high", a.prefill_high},
        {"backlog_horizon_s", a.backlog_horizon_s},
        {"prefill_low", a.prefill_low},
        {"max_nodes", a.max_nodes},
        {"decode_node_share", a.decode_node_share},
        {"warmup_s", a.warmup_s},
        {"forecast_error_s", a.forecast_error_s},
        {"forecast_noise", a.forecast_noise},
        {"persist_s", a.persist_s},
        {"noise_z", a.noise_z},
        {"noise_window_s", a.noise_window_s}}},
      {"economics",
       {{"usd_per_gpu_hour", e.usd_per_gpu_hour},
        {"usd_per_m_input_cache_hit", e.usd_per_m_input_cache_hit},
        {"usd_per_m_input_cache_miss", e.usd_per_m_input_cache_miss},
        {"usd_per_m_output", e.usd_per_m_output}}},
  };
}

}  // namespace moesim::cluster
