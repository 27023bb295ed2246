#include "models/cost/precision_rules.h"

#include <fmt/format.h>

#include <utility>

#include "common/error.h"

namespace moesim::cost {

namespace {

using hardware::Precision;

Precision parse(std::string_view component, const std::string& name, Precision native) {
  if (name.empty()) return native;
  auto p = hardware::parse_precision(name);
  if (!p) {
    throw InputError(fmt::format("{}: unknown precision \"{}\" (known: {})", component, name,
                                 hardware::precision_names()));
  }
  return *p;
}

}  // namespace

llm::ModelSpec with_precision(llm::ModelSpec model, const PrecisionChoice& choice) {
  auto& p = model.precision;
  p.moe = parse("moe", choice.moe, p.moe);
  p.attention = parse("attention", choice.attention, p.attention);
  p.kv = parse("kv", choice.kv, p.kv);
  return model;
}

void check_precision(const llm::ModelSpec& model, const hardware::GpuSpec& gpu) {
  const auto& p = model.precision;
  if (hardware::is_fp4(p.attention)) {
    throw InputError(fmt::format("attention: {} has no {} attention kernels (bf16 | fp8)", gpu.model,
                                 hardware::precision_name(p.attention)));
  }
  if (hardware::is_fp4(p.kv) && gpu.fp4_flops <= 0) {
    throw InputError(fmt::format("kv: an {} KV cache needs FP4 tensor cores to read it; {} has none (bf16 | fp8)",
                                 hardware::precision_name(p.kv), gpu.model));
  }
}

llm::ModelSpec with_precision(llm::ModelSpec model, const PrecisionChoice& choice, const hardware::GpuSpec& gpu) {
  model = with_precision(std::move(model), choice);
  check_precision(model, gpu);
  return model;
}

}  // namespace moesim::cost
