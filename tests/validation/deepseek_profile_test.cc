// Validation against DeepSeek's published inference profiles (deepseek-ai/profile-data @4496024, H800; figures in
// shared/reference/deepseek-profile.md and hardware/tables/h800-inference-profiles.json). The profiles' kernel times
// are what the in-situ efficiencies are fitted to, so these tests check the structure of the step built from them
// (the critical cycle, the overlap, the per-step terms) against the profiles' slot, step and layer times, which are
// not fitted. Tolerance: 5 % for the decode slot, the decode step and the prefill step (issue 25), 10 % for the rest
// (issue 13), routing balanced as in the profiles.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "common/paths.h"
#include "hardware/hardware.h"
#include "models/cost/in_situ.h"
#include "models/llm/model.h"
#include "tests/support/command.h"

namespace {

using moesim::test::step_json;

// The decode profile: EP128, 128 requests per GPU in two micro-batches of 64, 4K prompts, MTP on; two experts a GPU
// (its masked GEMMs have 2 groups: no redundant experts).
const std::string kDecodeProfile =
    "--hardware h800 --phase decode --ep 128 --redundant-experts 0 --batch-per-gpu 128 --kv-len 4096 --mtp on";
// The prefill profile: EP32, 16,384 tokens per GPU of 4K prompts.
const std::string kPrefillProfile = "--hardware h800 --phase prefill --ep 32 --tokens-per-gpu 16384 --prompt-len 4096";

bool on_cycle(const nlohmann::json& cycle, const std::string& stage) {
  for (const auto& op : cycle) {
    const std::string name = op["operator"];
    if (name.size() > stage.size() && name.compare(name.size() - stage.size(), stage.size(), stage) == 0 &&
        name[name.size() - stage.size() - 1] == ' ') {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE(
    "validation: the decode slot is within 5 % of the profile's 724 us, with core attention on the critical cycle "
    "and the combine's flight hidden") {
  auto j = step_json(kDecodeProfile);
  const double slot_us = j["layer_time_s"].get<double>() / 2 * 1e6;
  INFO("slot " << slot_us << " us");
  CHECK(std::fabs(slot_us / 724.0 - 1) <= 0.05);
  const auto& cycle = j["critical_path"];
  double total = 0;
  for (const auto& op : cycle) total += op["seconds"].get<double>();
  CHECK(total == Approx(j["layer_time_s"].get<double>()).epsilon(1e-6));
  CHECK(on_cycle(cycle, "ATTN-1"));        // core attention is in ATTN-1
  CHECK(!on_cycle(cycle, "COMBINE"));      // the combine's flight never sets the pace
  CHECK(on_cycle(cycle, "COMBINE-SEND"));  // its send kernel is compute like any other
}

TEST_CASE("validation: the decode step, graph plus the per-step terms outside it, is within 5 % of 95.9 ms") {
  auto j = step_json(kDecodeProfile);
  const double step_ms = j["step_time_s"].get<double>() * 1e3;
  INFO("step " << step_ms << " ms, graph " << j["graph_time_s"].get<double>() * 1e3 << " ms");
  CHECK(std::fabs(step_ms / 95.889 - 1) <= 0.05);
  // The graph alone against the profile's ~88.5 ms replay.
  CHECK(std::fabs(j["graph_time_s"].get<double>() * 1e3 / 88.5 - 1) <= 0.10);
  REQUIRE(j["overheads"].size() == 2);
  CHECK(j["overheads"][0]["term"] == "outside_graph");
  CHECK(j["overheads"][1]["term"] == "rank_start_skew");
  CHECK(j["overheads_s"].get<double>() == Approx(j["step_time_s"].get<double>() - j["graph_time_s"].get<double>()));
}

TEST_CASE("validation: the prefill step is within 5 % of the profile's 2.09 s, its MoE layer within 10 % of 34.7 ms") {
  auto j = step_json(kPrefillProfile);
  const double step_s = j["step_time_s"].get<double>();
  const double layer_ms = j["layer_time_s"].get<double>() * 1e3;
  INFO("step " << step_s << " s, layer " << layer_ms << " ms");
  CHECK(std::fabs(step_s / 2.09 - 1) <= 0.05);
  CHECK(std::fabs(layer_ms / 34.7 - 1) <= 0.10);
  // DeepEP's notify holds the compute stream (the host waits on it): it is on the critical cycle.
  CHECK(on_cycle(j["critical_path"], "NOTIFY"));
  CHECK(j["overheads"].empty());
}

TEST_CASE(
    "validation: the GEMM and attention families fit their profile kernels within 15 % and every family in more "
    "than one profile reports its leave-one-profile-out error") {
  auto hw = moesim::hardware::load_hardware("h800");
  auto model = moesim::llm::load_model("deepseek-v3");
  auto fit = moesim::cost::fit_in_situ(hw, model);
  using F = moesim::cost::KernelFamily;
  for (F f : {F::kDenseGemm, F::kBatchedGemm, F::kGroupedContiguous, F::kGroupedMasked, F::kPrefillAttention,
              F::kDecodeAttention}) {
    const auto& ff = fit.families[static_cast<int>(f)];
    INFO(moesim::cost::family_name(f) << ": efficiency " << ff.efficiency << ", rms " << ff.rms_error);
    CHECK(ff.points > 0);
    CHECK(ff.rms_error <= 0.15);
  }
  for (const auto& ff : fit.families) {
    CHECK(ff.points > 0);
    CHECK(ff.leave_one_profile_out.size() == (ff.profiles.size() > 1 ? ff.profiles.size() : 0));
    for (const auto& l : ff.leave_one_profile_out) CHECK(std::isfinite(l.rms_error));
  }
  // Each profile's kernels together (time-weighted in-fit error): within 15 %.
  REQUIRE(fit.profiles.size() == 3);
  for (const auto& t : fit.profiles) {
    INFO(t.profile << ": " << t.error());
    CHECK(std::fabs(t.error()) <= 0.15);
  }
  // Dense GEMMs appear in all three profiles: fitted on any two, the third comes back within 15 %.
  const auto& dense = fit.families[static_cast<int>(F::kDenseGemm)];
  REQUIRE(dense.leave_one_profile_out.size() == 3);
  for (const auto& l : dense.leave_one_profile_out) CHECK(l.rms_error <= 0.15);
}

TEST_CASE(
    "validation: the memory-bound kernels, priced by launches and bytes from the dimensions, fit both profiles' rows "
    "within 30 % RMS and each profile left out of the efficiency within 35 %") {
  // Before the affine form (rates copied from the training profile) these rows missed by 47 % RMS (issue 25). The
  // leave-one-profile-out refits the family's efficiency only: the form's launch cost and bandwidth are fitted on
  // both profiles' rows (3 prefill rows alone cannot separate a launch cost), so it is in sample for those two.
  auto hw = moesim::hardware::load_hardware("h800");
  auto model = moesim::llm::load_model("deepseek-v3");
  auto fit = moesim::cost::fit_in_situ(hw, model);
  const auto& ew = fit.families[static_cast<int>(moesim::cost::KernelFamily::kElementwise)];
  INFO("elementwise: efficiency " << ew.efficiency << ", rms " << ew.rms_error);
  CHECK(ew.points == 7);
  CHECK(ew.rms_error <= 0.30);
  REQUIRE(ew.leave_one_profile_out.size() == 2);
  for (const auto& l : ew.leave_one_profile_out) {
    INFO(l.profile << " left out: " << l.rms_error);
    CHECK(l.rms_error <= 0.35);
  }
}
