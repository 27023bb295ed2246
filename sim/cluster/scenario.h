// Scenario: the typed, strictly parsed description of one simulation run, one small Config per component.
// Parsing rejects unknown keys, wrong types and out-of-range values with the file and JSON path; to_json() writes
// every field, defaults included, so resolved-scenario.json states the whole run and parses back to the same thing.
//
//   auto doc = moesim::resolve_scenario("scenarios/steady-small.json", {"seed=3"});
//   moesim::cluster::Scenario s = moesim::cluster::parse_scenario(doc, "scenarios/steady-small.json");
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/json_reader.h"
#include "hardware/hardware.h"
#include "models/cost/precision_rules.h"
#include "models/llm/geometry.h"
#include "sim/observe/economics.h"
#include "sim/policy/autoscaler.h"

namespace moesim::cluster {

/// Where requests come from.
struct WorkloadConfig {
  std::string kind = "generator";        ///< generator (a named profile), trace (a file), or constant (fixed rate)
  std::string profile = "deepseek-day";  ///< generator and constant: the request mix (and, generator, the day shape)
  double scale = 1.0;                    ///< generator: fraction of the day's requests kept (0 < scale <= 1)
  double rate_per_s = 0.0;               ///< constant: arrivals per second (Poisson)
  std::string file;                      ///< trace: path, relative to the scenario file's folder or absolute
  std::string format = "native";         ///< trace: a registered trace format (traces/format_registry.h)
  bool skip_bad = false;                 ///< trace: skip bad lines (counted in the summary) instead of failing
  double start_s = 0.0;                  ///< generator: offset into the day where the run starts
  double kv_cache_bytes = 0.0;           ///< trace with block hashes: disk KV cache capacity (0 = unbounded)
};

/// One pool of identical units (prefill or decode).
struct PoolConfig {
  int64_t units = 1;                   ///< units serving at the start
  int64_t nodes_per_unit = 4;          ///< the unit's EP size is nodes_per_unit x the spec's GPUs per node
  int64_t redundant_experts = 32;      ///< extra expert slots per unit for the EPLB
  std::string balancer = "published";  ///< rank balancer, by registered name
  bool overlap = true;                 ///< dual-batch overlap (prefill) or 5-stage pipeline (decode); false = serial
  int64_t chunk_tokens = 16384;        ///< prefill: new tokens per rank per step (both micro-batches)
  bool mtp = true;                     ///< decode: one MTP draft token per sequence per step
  std::string attention = "dp";        ///< dp (data-parallel, as DeepSeek) | tp (tensor-parallel across a node)
  /// The pool's hardware kind; empty: the scenario's `hardware` (pool_hardware() says which). The prefill and
  /// decode pools may be of different kinds (prefill is bound by compute, decode by memory bandwidth and capacity).
  std::string hardware{};
};

struct FleetConfig {
  PoolConfig prefill;
  PoolConfig decode;
  std::string router = "least-loaded";  ///< which unit of a pool takes a request: unit router, by registered name
};

struct SloConfig {
  double user_tokens_per_s = 21.0;  ///< decode: per-user output speed target (accepted MTP tokens counted)
};

struct ExpertConfig {
  std::string skew = "uniform";      ///< uniform | calibrated | lognormal:SIGMA | zipf:ALPHA | file:PATH
  std::string eplb = "auto";         ///< none | auto | global | hierarchical
  double replan_interval_s = 600.0;  ///< DeepSeek-V3 report sec. 3.4: about every 10 minutes
  double window_s = 600.0;           ///< moving-average window of observed expert loads
};

using policy::AutoscalerConfig;  // the `autoscaler` object (sim/policy/autoscaler.h)

/// One pool's hardware kind (spec and kernel tables) and the model at the scenario's precision, checked against the
/// kind's GPU (cost::check_precision), loaded when the scenario is parsed and shared by the run's parts (ModelStep,
/// the arrivals). Every pool serves the one model at the one precision: the pools share its pointer.
struct PoolKind {
  std::shared_ptr<const hardware::Hardware> hardware;
  std::shared_ptr<const llm::ModelSpec> model;
};

/// Each pool's unit geometry (models/llm/geometry.h), built from its kind's node and the model file, and each pool's
/// kind: every distinct kind is loaded once (pools of one kind share the pointers).
struct FleetGeometry {
  llm::UnitGeometry prefill;
  llm::UnitGeometry decode;
  PoolKind prefill_kind;
  PoolKind decode_kind;
};

struct Scenario {
  std::string name;
  std::string about;  ///< one line saying what the scenario is for
  uint64_t seed = 1;
  std::string hardware = "h800";
  std::string model = "deepseek-v3";  ///< a registered model or alias (moesim model list), or a model file
  /// precision.moe, .attention, .kv: the model's native precision unless given; resolved to names when parsed.
  cost::PrecisionChoice precision;
  /// A calibration file (moesim fit --profile), relative to the scenario's folder: its family efficiencies replace
  /// the in-situ ones. Empty: DeepSeek's profiles' fit.
  std::string calibration;
  double horizon_s = 3600.0;  ///< arrivals stop here; requests in flight then run to completion
  WorkloadConfig workload;
  FleetConfig fleet;
  SloConfig slo;
  ExpertConfig experts;
  AutoscalerConfig autoscaler;
  /// The prices; each pool's GPUs per node derived from its kind, not read; each pool's GPU-hour price its kind's
  /// unless `economics.usd_per_gpu_hour` sets one for every kind.
  observe::Prices economics;
  std::string published;      ///< optional: a *published* outcomes file the report compares with (never an input)
  std::string base_dir;       ///< folder of the scenario file (relative paths resolve against it); not written out
  /// Derived from hardware, model and fleet by parse_scenario (or resolve_geometry); not written out.
  FleetGeometry geometry;
};

/// Parses a resolved scenario document strictly. `file` names it in errors.
Scenario parse_scenario(const nlohmann::json& doc, const std::string& file);

/// Builds `s.geometry` from its hardware spec, model file and fleet: for a Scenario built in code (parse_scenario
/// does it itself). InputErrors name the file that is wrong, or the slots that do not divide among the GPUs.
void resolve_geometry(Scenario& s);

/// Throws std::logic_error unless `s.geometry` matches its fleet (a Scenario changed in code after resolve_geometry).
void check_geometry(const Scenario& s);

/// The hardware kind of pool `p` of `s` (its own `hardware`, else the scenario's).
const std::string& pool_hardware(const Scenario& s, const PoolConfig& p);

/// What to load the scenario's model from: a registered name or alias as it is, a file path absolute or relative to
/// the data folder (llm::load_model takes either).
std::string model_ref(const Scenario& s);

/// A path from the scenario (a trace, a node schedule): absolute, or relative to the scenario file's folder.
std::filesystem::path resolve_path(const Scenario& s, const std::string& file);

/// Every field, defaults included (base_dir and geometry excepted).
nlohmann::json to_json(const Scenario& s);

}  // namespace moesim::cluster
