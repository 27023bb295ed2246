// The in-situ efficiency fit: the least-squares solution on known data, refusals of bad input, and that the fitted
// efficiencies belong to the tables' GPU (the same for every hardware that shares them).
#include "models/cost/in_situ.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "common/paths.h"

using namespace moesim;

TEST_CASE("in situ: a family whose kernels all run at one rate gets exactly that efficiency") {
  std::vector<double> base{10, 200, 3000};
  std::vector<double> measured{12.5, 250, 3750};  // every kernel 25 % slower than its table
  CHECK(cost::fit_efficiency(measured, base) == Approx(0.8).epsilon(1e-12));
}

TEST_CASE("in situ: the efficiency minimises the relative errors, so small kernels weigh as much as large ones") {
  std::vector<double> base{1, 1000};
  std::vector<double> measured{2, 1000};  // the small kernel takes twice its table time, the large one its table time
  // minimise (x / 2 - 1)^2 + (x - 1)^2 over x: x = (1/2 + 1) / (1/4 + 1) = 1.2, efficiency 1 / 1.2
  CHECK(cost::fit_efficiency(measured, base) == Approx(1 / 1.2).epsilon(1e-12));
}

TEST_CASE("in situ: empty, mismatched or non-positive times are refused") {
  CHECK_THROWS_AS(cost::fit_efficiency({}, {}), std::invalid_argument);
  CHECK_THROWS_AS(cost::fit_efficiency({1, 2}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(cost::fit_efficiency({1, 0}, {1, 1}), std::invalid_argument);
}

TEST_CASE("in situ: family names round-trip and an unknown one is refused") {
  for (int f = 0; f < cost::kNumKernelFamilies; ++f) {
    auto family = static_cast<cost::KernelFamily>(f);
    CHECK(cost::family_from_name(cost::family_name(family)) == family);
  }
  CHECK_THROWS_AS(cost::family_from_name("gemv"), std::invalid_argument);
}

TEST_CASE("in situ: H100 and H200 share the H800's fitted efficiencies, since they share its tables") {
  auto model = llm::load_model("deepseek-v3");
  auto h800 = cost::fit_in_situ(hardware::load_hardware("h800"), model);
  for (const char* other : {"h100", "h200"}) {
    auto fit = cost::fit_in_situ(hardware::load_hardware(other), model);
    for (int f = 0; f < cost::kNumKernelFamilies; ++f) {
      CHECK(fit.families[f].efficiency == h800.families[f].efficiency);
    }
  }
}

TEST_CASE("in situ: every profile kernel is fitted, with its base time, and each family's errors are its points'") {
  auto model = llm::load_model("deepseek-v3");
  auto fit = cost::fit_in_situ(hardware::load_hardware("h800"), model);
  int points = 0;
  for (const auto& ff : fit.families) points += ff.points;
  CHECK(points == static_cast<int>(fit.points.size()));
  for (const auto& p : fit.points) {
    CHECK(p.base_s > 0);
    CHECK(p.fitted_s == Approx(p.base_s / fit.efficiency(p.family)));
    CHECK(std::abs(p.error()) <= fit.families[static_cast<int>(p.family)].max_error + 1e-12);
  }
}
