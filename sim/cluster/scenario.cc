#include "sim/cluster/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <utility>
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

// A hardware kind by name, for the key `key` of `r` (the error lists the known kinds).
std::string known_kind(JsonReader& r, std::string_view key, std::string fallback) {
  std::string kind = r.string_or(key, std::move(fallback));
  if (!file_exists(data_path("hardware/specs/" + kind + ".json"))) {
    r.fail(key, fmt::format("unknown hardware \"{}\" (known: {})", kind, known_hardware()));
  }
  return kind;
}

// The hardware kinds a scenario's pools run on, each loaded once (pools of one kind share its pointer), and the model
// at the scenario's precision, which every pool serves: checked against each kind's GPU as the kind is asked for.
class PoolKinds {
 public:
  explicit PoolKinds(llm::ModelSpec model) : model_(std::make_shared<const llm::ModelSpec>(std::move(model))) {}

  /// The kind's spec and tables, loaded on first use: InputErrors name its files.
  std::shared_ptr<const hardware::Hardware> hardware(const std::string& kind) {
    for (const auto& hw : loaded_) {
      if (hw->name == kind) return hw;
    }
    return loaded_.emplace_back(std::make_shared<const hardware::Hardware>(hardware::load_hardware(kind)));
  }
  /// The kind and the model on it: an InputError names the component of the model's precision it cannot run.
  PoolKind get(const std::string& kind) {
    auto hw = hardware(kind);
    cost::check_precision(*model_, hw->gpu);
    return {hw, model_};
  }
  const llm::ModelSpec& model() const { return *model_; }

 private:
  std::shared_ptr<const llm::ModelSpec> model_;
  std::vector<std::shared_ptr<const hardware::Hardware>> loaded_;
};

llm::ModelSpec native_model(const Scenario& s) { return llm::load_model(model_ref(s)); }

llm::UnitGeometry pool_geometry(const PoolKind& k, const PoolConfig& p) {
  return llm::unit_geometry(k.hardware->node, *k.model, p.nodes_per_unit, p.redundant_experts);
}

// Sets each pool's geometry (on its kind's node; its KV bytes a token among it: the model's at the scenario's
// precision) and kind (a precision the kind cannot run is an InputError), and the GPUs per node each pool bills.
void set_geometry(Scenario& s, PoolKinds& kinds) {
  const PoolKind prefill = kinds.get(pool_hardware(s, s.fleet.prefill));
  const PoolKind decode = kinds.get(pool_hardware(s, s.fleet.decode));
  s.geometry = {pool_geometry(prefill, s.fleet.prefill), pool_geometry(decode, s.fleet.decode), prefill, decode};
  s.economics.prefill.gpus_per_node = s.geometry.prefill.gpus_per_node;
  s.economics.decode.gpus_per_node = s.geometry.decode.gpus_per_node;
}

// Pool `p`'s kind with the model at the scenario's precision. A kind that does not load is refused at the key that
// chose it; a precision the kind cannot run at `precision` for the scenario's own kind, else at the pool's
// `hardware`, naming the kind.
PoolKind checked_kind(JsonReader& r, std::optional<JsonReader>& pool, const Scenario& s, const PoolConfig& p,
                      PoolKinds& kinds) {
  const std::string& kind = pool_hardware(s, p);
  JsonReader& chose = kind == s.hardware || !pool ? r : *pool;
  try {
    kinds.hardware(kind);
  } catch (const InputError& e) {
    chose.fail("hardware", e.what());
  }
  try {
    return kinds.get(kind);
  } catch (const InputError& e) {
    if (&chose == &r) r.fail("precision", e.what());
    chose.fail("hardware", fmt::format("{} cannot run the scenario's precision: {}", kind, e.what()));
  }
}

// A pool's keys over `p` (its defaults); its `hardware` already read (parse_fleet), its kind loaded.
PoolConfig parse_pool(JsonReader r, PoolConfig p, bool prefill, const PoolKind& kind) {
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
    pool_geometry(kind, p);
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

// The `economics` object over `c` (each pool's GPU-hour price already its kind's): a usd_per_gpu_hour prices every
// kind.
void parse_economics(JsonReader e, observe::Prices& c) {
  if (e.has("usd_per_gpu_hour")) {
    c.prefill.usd_per_gpu_hour = c.decode.usd_per_gpu_hour = e.number("usd_per_gpu_hour", Range::non_negative());
  }
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

// The `fleet` object: each pool's kind first (its `hardware`, else the scenario's), checked against the scenario's
// precision, then each pool's keys against its kind's geometry.
void parse_fleet(JsonReader& r, Scenario& s, PoolKinds& kinds) {
  auto fleet = r.optional_object("fleet");
  std::optional<JsonReader> prefill, decode;
  if (fleet) {
    prefill = fleet->optional_object("prefill");
    decode = fleet->optional_object("decode");
  }
  s.fleet.decode.nodes_per_unit = 18;  // the decode pool's default unit (DeepSeek's EP144 of 8-GPU nodes)
  if (prefill && prefill->has("hardware")) s.fleet.prefill.hardware = known_kind(*prefill, "hardware", "");
  if (decode && decode->has("hardware")) s.fleet.decode.hardware = known_kind(*decode, "hardware", "");
  const PoolKind prefill_kind = checked_kind(r, prefill, s, s.fleet.prefill, kinds);
  const PoolKind decode_kind = checked_kind(r, decode, s, s.fleet.decode, kinds);
  if (prefill) s.fleet.prefill = parse_pool(*prefill, s.fleet.prefill, true, prefill_kind);
  if (decode) s.fleet.decode = parse_pool(*decode, s.fleet.decode, false, decode_kind);
  if (fleet) {
    s.fleet.router = registered_or(*fleet, "router", s.fleet.router, policy::builtin_unit_routers());
    fleet->finish();
  }
}

}  // namespace

Scenario parse_scenario(const nlohmann::json& doc, const std::string& file) {
  JsonReader r(doc, file);
  Scenario s;
  s.name = r.string_or("name", s.name);
  s.about = r.string_or("about", s.about);
  s.seed = static_cast<uint64_t>(r.integer_or("seed", 1, IntRange::non_negative()));
  s.hardware = known_kind(r, "hardware", s.hardware);
  s.model = r.string_or("model", s.model);
  llm::ModelSpec native = [&] {
    try {
      return native_model(s);
    } catch (const InputError& e) {
      r.fail("model", e.what());
    }
  }();
  if (auto p = r.optional_object("precision")) {
    s.precision = {p->string_or("moe", ""), p->string_or("attention", ""), p->string_or("kv", "")};
    p->finish();
  }
  PoolKinds kinds = [&] {
    try {
      return PoolKinds(cost::with_precision(std::move(native), s.precision));  // checked on each pool's kind below
    } catch (const InputError& e) {
      r.fail("precision", e.what());
    }
  }();
  // The precision by name: the model's native one where the scenario gives none.
  const auto& at = kinds.model().precision;
  s.precision = {std::string(hardware::precision_name(at.moe)), std::string(hardware::precision_name(at.attention)),
                 std::string(hardware::precision_name(at.kv))};
  s.calibration = r.string_or("calibration", s.calibration);
  s.published = r.string_or("published", s.published);
  if (!s.published.empty() && s.published.find("published") == std::string::npos) {
    r.fail("published", "a comparison file's name must say \"published\"");
  }
  s.horizon_s = r.number_or("horizon_s", s.horizon_s, kPositiveSeconds);
  if (r.has("workload")) s.workload = parse_workload(r.object("workload"));
  parse_fleet(r, s, kinds);
  if (auto slo = r.optional_object("slo")) {
    s.slo.user_tokens_per_s = slo->number_or("user_tokens_per_s", s.slo.user_tokens_per_s, Range::positive());
    slo->finish();
  }
  if (auto e = r.optional_object("experts")) parse_experts(*e, s.experts);
  if (auto a = r.optional_object("autoscaler")) parse_autoscaler(*a, s.autoscaler);
  // Each pool's GPU-hour price is its kind's rental price unless the scenario sets its own (for every kind).
  s.economics.prefill.usd_per_gpu_hour = kinds.hardware(pool_hardware(s, s.fleet.prefill))->node.usd_per_gpu_hour;
  s.economics.decode.usd_per_gpu_hour = kinds.hardware(pool_hardware(s, s.fleet.decode))->node.usd_per_gpu_hour;
  if (auto e = r.optional_object("economics")) parse_economics(*e, s.economics);
  r.finish();
  s.base_dir = std::filesystem::path(file).parent_path().string();
  set_geometry(s, kinds);
  return s;
}

void check_geometry(const Scenario& s) {
  auto matches = [](const llm::UnitGeometry& g, const PoolConfig& p) {
    return g.gpus > 0 && g.nodes_per_unit == p.nodes_per_unit &&
           g.expert_slots - g.routed_experts == p.redundant_experts;
  };
  auto loaded = [&](const PoolKind& k, const PoolConfig& p) {
    return k.hardware && k.model && k.hardware->name == pool_hardware(s, p);
  };
  const auto& g = s.geometry;
  if (!loaded(g.prefill_kind, s.fleet.prefill) || !loaded(g.decode_kind, s.fleet.decode) ||
      !matches(g.prefill, s.fleet.prefill) || !matches(g.decode, s.fleet.decode)) {
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
  PoolKinds kinds(cost::with_precision(native_model(s), s.precision));
  set_geometry(s, kinds);
}

const std::string& pool_hardware(const Scenario& s, const PoolConfig& p) {
  return p.hardware.empty() ? s.hardware : p.hardware;
}

nlohmann::json to_json(const Scenario& s) {
  auto pool = [&s](const PoolConfig& p, bool prefill) {
    nlohmann::json j = {{"hardware", pool_hardware(s, p)},
                        {"units", p.units},
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
  nlohmann::json j = {
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
       {{"usd_per_m_input_cache_hit", e.usd_per_m_input_cache_hit},
        {"usd_per_m_input_cache_miss", e.usd_per_m_input_cache_miss},
        {"usd_per_m_output", e.usd_per_m_output}}},
  };
  // One GPU-hour price for every kind is written; pools of kinds priced apart take their specs' prices when read
  // back, as they did here.
  if (e.prefill.usd_per_gpu_hour == e.decode.usd_per_gpu_hour) {
    j["economics"]["usd_per_gpu_hour"] = e.prefill.usd_per_gpu_hour;
  }
  return j;
}

}  // namespace moesim::cluster
