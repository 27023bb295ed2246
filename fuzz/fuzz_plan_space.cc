// Fuzz target: a plan's space file (moesim plan --space), read as the command does (read_space: grid, constraints,
// objective), its candidates applied to the base scenario and strictly parsed (fuzz/study_target.h), and the verdict
// and objective taken on made-up figures. Nothing is screened or simulated.
#include <cmath>
#include <string>

#include "fuzz/fuzz_support.h"
#include "fuzz/study_target.h"
#include "tools/study/plan.h"

MOESIM_FUZZ_TARGET(plan_space) {
  using namespace moesim;
  auto file = fuzz::scratch().write("space.json", data, size);
  fuzz::expect_input_errors([&] {
    study::Space space = study::read_space(file);
    fuzz::require(!space.objective.empty(), "a space has an objective");
    for (const auto& c : space.constraints) {
      fuzz::require(std::isfinite(c.min) && std::isfinite(c.max), "a constraint's bounds are finite");
      fuzz::require(c.min <= c.max, "a constraint's min is at most its max");
    }
    fuzz::check_candidates(space.grid, file.string() + ": grid");
    // Figures of every kind a run can give: finite, negative, zero and absent (NaN).
    auto figure = [](const std::string& name) {
      switch (name.size() % 4) {
        case 0:
          return std::nan("");
        case 1:
          return 0.0;
        case 2:
          return -static_cast<double>(name.size());
        default:
          return 1e6 * static_cast<double>(name.size());
      }
    };
    study::Verdict v = study::verdict(space, figure);
    fuzz::require(v.feasible == v.broken.empty(), "a candidate is feasible when it breaks no constraint");
    fuzz::require(std::isfinite(v.worst_violation) && v.worst_violation >= 0, "a violation is finite, not negative");
    (void)study::objective_cost(space, figure);
  });
  return 0;
}
