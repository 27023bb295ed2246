// The reference model for tests: DeepSeek-V3 as models/llm/deepseek-v3.json describes it, loaded once.
//
//   moesim::cost::RoutingShape shape = moesim::test::v3_routing();  // 58 MoE layers, 256 experts, top-8 of 4 groups
#pragma once

#include "common/paths.h"
#include "models/cost/expert_popularity.h"
#include "models/llm/model.h"

namespace moesim::test {

inline const llm::ModelSpec& v3_model() {
  static const llm::ModelSpec model = llm::load_model("deepseek-v3");
  return model;
}

inline cost::RoutingShape v3_routing() { return cost::routing_shape(v3_model()); }

}  // namespace moesim::test
