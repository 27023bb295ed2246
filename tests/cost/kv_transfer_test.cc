// The KV transfer from a prefill GPU to a decode GPU (models/cost/kernels.h, cost::kv_transfer_s): the KV at the
// decode side's precision over the slower of the two NICs. Every shipped kind has 50 GB/s NICs, so the slower side
// is shown on spec copies with the NIC changed.
#include <catch2/catch.hpp>

#include "hardware/hardware.h"
#include "models/cost/kernels.h"
#include "models/cost/precision_rules.h"
#include "tests/support/model.h"

using namespace moesim;

TEST_CASE("cost: the KV transfer runs over the slower of the two sides' NICs") {
  const hardware::NodeSpec h800 = hardware::load_node_spec("h800");
  hardware::NodeSpec slow = h800;
  slow.nic_bytes_per_s = h800.nic_bytes_per_s / 4;
  const auto& v3 = test::v3_model();
  const double tokens = 10'000;
  const double at_h800 = tokens * v3.kv_bytes_per_token() / h800.nic_bytes_per_s;
  CHECK(cost::kv_transfer_s(tokens, v3, h800, h800) == at_h800);  // one kind: its own NIC, as before
  CHECK(cost::kv_transfer_s(tokens, v3, slow, h800) == Approx(4 * at_h800));  // a slow sender
  CHECK(cost::kv_transfer_s(tokens, v3, h800, slow) == Approx(4 * at_h800));  // a slow receiver
}

TEST_CASE("cost: the KV transfer carries the KV at the decode side's precision") {
  const hardware::NodeSpec h800 = hardware::load_node_spec("h800");
  const auto& v3 = test::v3_model();  // BF16 KV
  const auto gpu = hardware::load_hardware("h800").gpu;
  const llm::ModelSpec fp8_kv = cost::with_precision(v3, {"", "", "fp8"}, gpu);
  CHECK(cost::kv_transfer_s(1000, fp8_kv, h800, h800) == Approx(cost::kv_transfer_s(1000, v3, h800, h800) / 2));
}
