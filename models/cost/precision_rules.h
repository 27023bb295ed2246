// Which precisions a hardware kind runs a model's components in, and a model with a scenario's or a command's
// precision choices applied. FP4 routed experts run on Blackwell's FP4 tensor cores or, on Hopper, as weight-only FP4
// dequantized to BF16 (hardware::compute_precision); attention computes in BF16 or FP8; an FP4 KV cache needs FP4
// tensor cores to read it.
//
//   auto m = moesim::cost::with_precision(llm::load_model("deepseek-v3"), {"", "fp8", "fp8"}, hw.gpu);
#pragma once

#include <string>

#include "hardware/hardware.h"
#include "models/llm/model.h"

namespace moesim::cost {

/// Precision names as a scenario or a command gives them; empty keeps the model's native precision.
struct PrecisionChoice {
  std::string moe;
  std::string attention;
  std::string kv;
};

/// The model with `choice` applied, checked against `gpu`. An InputError says which component ("moe", "attention"
/// or "kv") cannot run, why, and what can.
llm::ModelSpec with_precision(llm::ModelSpec model, const PrecisionChoice& choice, const hardware::GpuSpec& gpu);
/// The two halves of it. The model with `choice` applied, whatever the GPU (an InputError names the component of an
/// unknown precision); and the check that `gpu` runs the model's precisions (a scenario whose pools are of
/// different kinds applies the choice once and checks it on each pool's kind).
llm::ModelSpec with_precision(llm::ModelSpec model, const PrecisionChoice& choice);
void check_precision(const llm::ModelSpec& model, const hardware::GpuSpec& gpu);

}  // namespace moesim::cost
