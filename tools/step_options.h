// The load options that `moesim step` and `moesim pipeline` share, their checks, and the unit they describe.
//
//   StepOptions o;  add_step_options(*sub, o);  ...  auto setup = build_step(o);  setup.unit->decode(...);
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "hardware/hardware.h"
#include "models/llm/geometry.h"
#include "models/llm/model.h"
#include "models/pipeline/unit_step.h"

namespace moesim::tools {

struct StepOptions {
  std::string hardware = "h800";
  std::string model = "deepseek-v3";  ///< a registered model, an alias or a model file
  std::string phase = "decode";
  int ep = 0;
  int redundant_experts = 32;
  std::string attention = "dp";  ///< dp (data-parallel, as DeepSeek) | tp (tensor-parallel across a node)  ///< at least this many; rounded up until the slots divide among the GPUs
  double tokens_per_gpu = 0;
  double prompt_len = 4096;
  double cached_len = 0;
  double batch_per_gpu = 0;
  double kv_len = 0;
  bool mtp = true;
  bool overlap = true;
  std::string expert_skew = "uniform";
  std::string eplb = "auto";
  std::string moe_precision;        ///< empty: the model's native precision
  std::string attention_precision;  ///< empty: the model's native precision
  std::string kv_precision;         ///< empty: the model's native precision
  std::vector<std::string> efficiency_scale;  ///< FAMILY=FACTOR: a family's in-situ efficiency times FACTOR
  std::string calibration;                    ///< a calibration file (moesim fit --profile): its efficiencies
  bool json = false;
};

void add_step_options(CLI::App& sub, StepOptions& o);

struct StepSetup {
  hardware::Hardware hw;
  llm::ModelSpec model;
  llm::UnitGeometry geometry;  ///< the unit of --ep GPUs
  std::unique_ptr<pipeline::UnitStepModel> unit;
  pipeline::PrefillRank prefill_rank;
  pipeline::DecodeRank decode_rank;
  double expert_factor = 1.0;
};

/// Checks the options (impossible shapes are InputErrors, exit 2) and builds the unit.
StepSetup build_step(const StepOptions& o);

}  // namespace moesim::tools
