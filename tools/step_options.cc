#include "tools/step_options.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "common/paths.h"
#include "models/cost/calibration_file.h"
#include "models/cost/expert_load.h"
#include "models/cost/precision_rules.h"
#include "sim/policy/expert_balancer.h"
#include "tools/cli_checks.h"

namespace moesim::tools {

namespace {
// Token counts and lengths beyond any GPU's memory (the KV check below is the real bound); keeps every product finite.
constexpr double kMaxTokens = 1e8;
// A unit of more nodes than this is no unit (the scenario's nodes_per_unit has the same bound).
constexpr int kMaxNodesPerUnit = 1000;
}  // namespace

void add_step_options(CLI::App& sub, StepOptions& o) {
  sub.add_option("--hardware", o.hardware, hardware::hardware_help())->capture_default_str();
  // The help names no models: reading the model files while the command line is built would turn a broken file
  // into a crash instead of an error.
  sub.add_option("--model", o.model, "a registered model (moesim model list), an alias, or a model file")
      ->capture_default_str();
  sub.add_option("--redundant-experts", o.redundant_experts,
                 "redundant expert slots of the unit: the smallest count at least this that divides among its GPUs")
      ->check(within(0, 1'000'000))
      ->capture_default_str();
  sub.add_option("--attention", o.attention,
                 "dp (data-parallel attention, as DeepSeek) | tp (tensor-parallel across the GPUs of a node)")
      ->check(CLI::IsMember({"dp", "tp"}))
      ->capture_default_str();
  sub.add_option("--phase", o.phase, "prefill | decode")->required()->check(CLI::IsMember({"prefill", "decode"}));
  sub.add_option("--ep", o.ep, "expert-parallel size (GPUs of the unit; nodes = EP / GPUs per node)")
      ->required()
      ->check(within(1, 1'000'000));
  sub.add_option("--tokens-per-gpu", o.tokens_per_gpu, "prefill: tokens of one step on one GPU (both micro-batches)")
      ->check(within(0.0, kMaxTokens));
  sub.add_option("--prompt-len", o.prompt_len, "prefill: prompt length (fresh prompts of this many tokens)")
      ->check(within(0.0, kMaxTokens))
      ->capture_default_str();
  sub.add_option("--cached-len", o.cached_len, "prefill: cached prefix tokens before each prompt")
      ->check(within(0.0, kMaxTokens))
      ->capture_default_str();
  sub.add_option("--batch-per-gpu", o.batch_per_gpu, "decode: sequences per GPU")->check(within(0.0, kMaxTokens));
  sub.add_option("--kv-len", o.kv_len, "decode: KV length of each sequence")->check(within(0.0, kMaxTokens));
  sub.add_option("--mtp", o.mtp, "decode: on | off (one MTP draft token verified per step)")
      ->transform(CLI::Transformer(std::map<std::string, bool>{{"on", true}, {"off", false}}))
      ->capture_default_str();
  sub.add_option("--overlap", o.overlap, "on | off")
      ->transform(CLI::Transformer(std::map<std::string, bool>{{"on", true}, {"off", false}}))
      ->capture_default_str();
  sub.add_option("--expert-skew", o.expert_skew,
                 "uniform (perfectly balanced routing, as in DeepSeek's profiles) | lognormal:SIGMA | zipf:ALPHA | "
                 "file:PATH | calibrated")
      ->capture_default_str();
  sub.add_option("--eplb", o.eplb, "expert placement: " + policy::builtin_expert_balancers().known())
      ->check(CLI::IsMember(policy::builtin_expert_balancers().names()))
      ->capture_default_str();
  const std::string p = std::string(hardware::precision_names());
  sub.add_option("--moe-precision", o.moe_precision, "routed experts' weights: " + p + " (default: the model's)");
  sub.add_option("--attention-precision", o.attention_precision, "core attention: bf16 | fp8 (default: the model's)");
  sub.add_option("--kv-precision", o.kv_precision, "KV cache: " + p + " (default: the model's)");
  sub.add_option("--calibration", o.calibration,
                 "a calibration file written by moesim fit --profile: its family efficiencies replace the fitted ones");
  sub.add_option("--efficiency-scale", o.efficiency_scale,
                 "FAMILY=FACTOR (repeatable): a kernel family's fitted efficiency times FACTOR, for sensitivity "
                 "(families: dense_gemm, batched_gemm, grouped_contiguous, grouped_masked, prefill_attention, "
                 "decode_attention, elementwise, router)");
}

StepSetup build_step(const StepOptions& o) {
  StepSetup s{hardware::load_hardware(o.hardware), llm::load_model(o.model), {}, nullptr, {}, {}, 1.0};
  try {
    s.model = cost::with_precision(s.model, {o.moe_precision, o.attention_precision, o.kv_precision}, s.hw.gpu);
  } catch (const InputError& e) {
    // "moe: ..." -> "--moe-precision: ..."
    const std::string what = e.what();
    const auto colon = what.find(':');
    throw InputError(fmt::format("--{}-precision{}", what.substr(0, colon), what.substr(colon)));
  }
  const int gpus_per_node = s.hw.node.gpus;
  if (o.ep <= 0 || o.ep % gpus_per_node != 0 || o.ep / gpus_per_node > kMaxNodesPerUnit) {
    throw InputError(fmt::format("--ep: expected a positive multiple of {} up to {}, got {}", gpus_per_node,
                                 gpus_per_node * kMaxNodesPerUnit, o.ep));
  }
  // Redundant experts: the smallest count of at least the one asked (DeepSeek's 32 per unit) that makes the slots
  // divide among the unit's GPUs.
  const int experts = s.model.moe.routed_experts;
  int redundant = o.redundant_experts;
  while ((experts + redundant) % o.ep != 0) ++redundant;
  s.geometry = llm::unit_geometry(s.hw.node, s.model, o.ep / gpus_per_node, redundant);
  pipeline::UnitConfig c;
  c.phase = o.phase == "prefill" ? llm::Phase::kPrefill : llm::Phase::kDecode;
  c.ep = s.geometry.gpus;
  c.overlap = o.overlap;
  c.mtp = o.mtp;
  c.expert_slots = s.geometry.expert_slots;
  c.attention_tp = o.attention == "tp" ? gpus_per_node : 1;
  for (const auto& item : o.efficiency_scale) {
    const auto eq = item.find('=');
    double factor = 0;
    try {
      factor = eq == std::string::npos ? 0 : std::stod(item.substr(eq + 1));
    } catch (const std::exception&) {
      factor = 0;
    }
    if (eq == std::string::npos || !(factor > 0) || !(factor <= 100)) {
      throw InputError(fmt::format("--efficiency-scale {}: expected FAMILY=FACTOR with a factor in (0, 100]", item));
    }
    try {
      c.efficiency_scale[static_cast<int>(cost::family_from_name(item.substr(0, eq)))] = factor;
    } catch (const std::invalid_argument&) {
      throw InputError(fmt::format("--efficiency-scale {}: unknown kernel family \"{}\"", item, item.substr(0, eq)));
    }
  }
  s.unit = std::make_unique<pipeline::UnitStepModel>(s.hw, s.model, c);
  if (!o.calibration.empty()) {
    // The file's efficiencies in place of the in-situ ones (then any --efficiency-scale on top).
    const auto scales =
        cost::calibration_scales(cost::read_calibration(o.calibration), s.unit->in_situ(), o.hardware, s.model.name);
    for (int f = 0; f < cost::kNumKernelFamilies; ++f) c.efficiency_scale[f] *= scales[f];
    s.unit = std::make_unique<pipeline::UnitStepModel>(s.hw, s.model, c, s.unit->in_situ());  // the same fit
  }
  if (o.phase == "prefill") {
    // Written so that NaN fails too (every comparison with NaN is false).
    if (!(o.tokens_per_gpu > 0)) throw InputError("--tokens-per-gpu: a prefill step needs a positive token count");
    if (!(o.prompt_len > 0) || !(o.cached_len >= 0))
      throw InputError("--prompt-len must be positive, --cached-len >= 0");
    if (o.overlap && std::fmod(o.tokens_per_gpu, 2.0) != 0.0) {
      throw InputError(
          fmt::format("--tokens-per-gpu: {} tokens do not split into two micro-batches", o.tokens_per_gpu));
    }
    // The step's tokens in flight, and the KV of its prompts until it is sent to decode.
    s.unit->require_fit(s.unit->memory_fit(o.tokens_per_gpu, o.tokens_per_gpu), "--tokens-per-gpu");
    double prompts = o.tokens_per_gpu / o.prompt_len;
    double per_prompt = o.prompt_len * o.cached_len + o.prompt_len * (o.prompt_len + 1) / 2;
    s.prefill_rank = {o.tokens_per_gpu, prompts * per_prompt, std::ceil(prompts)};
  } else {
    if (!(o.batch_per_gpu > 0) || !(o.kv_len > 0))
      throw InputError("--batch-per-gpu and --kv-len: decode needs both, positive");
    double kv = o.batch_per_gpu * o.kv_len;
    const double q = s.unit->config().mtp ? 2.0 : 1.0;
    s.unit->require_fit(s.unit->memory_fit(kv, o.batch_per_gpu * q), "--batch-per-gpu x --kv-len");
    s.decode_rank = {o.batch_per_gpu, kv};
  }
  // Expert load: perfectly balanced unless a skew is named; then the busiest GPU under the chosen placement, from
  // the popularity at the start of a day, for this step's routed tokens.
  auto skew = cost::parse_skew_spec(o.expert_skew, "--expert-skew");
  if (skew.family != cost::SkewFamily::kUniform || o.eplb == "none") {
    cost::RoutingShape shape = cost::routing_shape(s.geometry);
    cost::ExpertPopularity popularity(skew, shape, 1);
    policy::EplbShape eplb{s.geometry.expert_slots, shape.num_groups, s.geometry.nodes_per_unit, s.geometry.gpus};
    if (o.eplb == "none") eplb.num_replicas = ((shape.num_experts + o.ep - 1) / o.ep) * o.ep;
    auto placement = policy::builtin_expert_balancers().make(o.eplb)->place(popularity.expected_loads(0, 1.0), eplb);
    cost::ExpertLoadModel load(placement, popularity.shares_at(0), popularity.transient_sigma(), shape);
    double tokens =
        o.phase == "prefill" ? o.tokens_per_gpu * o.ep : o.batch_per_gpu * (s.unit->config().mtp ? 2 : 1) * o.ep;
    double per_micro_batch = o.overlap ? tokens / 2 : tokens;
    s.expert_factor = load.max_gpu_factor(per_micro_batch);
  }
  return s;
}

}  // namespace moesim::tools
