// Fuzz target: a model file (models/llm/NAME.json): parsed and checked, then everything derived from its dimensions
// (parameter counts, KV bytes, a long sequence's KV, both phases' layer operators, the weights a GPU holds).
#include "fuzz/fuzz_support.h"
#include "models/llm/model.h"
#include "models/llm/operators.h"

MOESIM_FUZZ_TARGET(model_file) {
  using namespace moesim;
  auto file = fuzz::scratch().dir() / "fuzzed-model.json";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  fuzz::expect_input_errors([&] {
    const llm::ModelSpec m = llm::load_model_file(file);
    (void)m.total_parameters();
    (void)m.active_parameters();
    (void)m.kv_bytes_per_token();
    (void)m.kv_bytes_for_sequence(131072);
    (void)m.weight_bytes_per_gpu(144, m.moe.routed_experts);
    for (auto phase : {llm::Phase::kPrefill, llm::Phase::kDecode}) {
      (void)llm::layer_operators(m, phase, true);
      (void)llm::layer_operators(m, phase, false);
    }
  });
  return 0;
}
