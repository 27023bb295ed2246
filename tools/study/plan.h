// The plan's question and its answer's pieces: a space (a grid of candidates, constraints on summary figures, one
// figure to minimize or maximize), the verdict of a candidate's figures against it, which candidates the screen
// sends to full simulation, and the frontier of cost against TTFT p90 and per-user speed p10.
//
//   Space space = read_space("scenarios/plan-deepseek-day.json");
//   Verdict v = verdict(space, figures);  // v.feasible, v.worst_violation, v.broken
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tools/study/grid.h"

namespace moesim::study {

struct Constraint {
  std::string figure;  ///< a summary.json figure (flattened name)
  double min = -1e300;
  double max = 1e300;
};

struct Space {
  Grid grid;
  std::vector<Constraint> constraints;
  std::string objective;  ///< a summary.json figure
  bool minimize = true;
};

/// Reads a space file: {"grid": {...as a sweep's grid...}, "constraints": {"figure": {"min": x, "max": y}, ...},
/// "minimize": "figure"} (or "maximize"). Strict: every mistake is an InputError naming the file and JSON path.
Space read_space(const std::filesystem::path& file);

/// A figure's value by name; NaN when absent.
using FigureFn = std::function<double(const std::string&)>;

struct Verdict {
  bool feasible = true;
  double worst_violation = 0;        ///< the largest relative violation (0 when feasible)
  std::vector<std::string> broken;   ///< "ttft_p90_s 14.2 > max 10" for each broken constraint
  std::vector<std::string> unknown;  ///< constraints on figures the source does not give (taken as met)
  /// Constraints whose mean meets the bound but whose interval crosses it (verdict_on_intervals; never the screen's).
  std::vector<std::string> undecided;
};

/// Checks every constraint. A violation is relative to the bound (to 1 when the bound is 0).
Verdict verdict(const Space& space, const FigureFn& figure);

/// The objective as a cost to minimize (negated when maximizing).
double objective_cost(const Space& space, const FigureFn& figure);

/// Which screened candidates to simulate: the best `top_k` the screen finds feasible, every screen-feasible one
/// within `margin` (relative) of the best on the objective, and `top_k` of the rejected drawn at random (seeded) to
/// check the screen's rejections. Sorted, no repeats. With top_k 0 and margin 0, none.
std::vector<size_t> select_for_simulation(const std::vector<Verdict>& screened, const std::vector<double>& cost,
                                          int top_k, double margin, uint64_t seed);

/// Indices of the points not dominated on (cost lower, ttft lower, speed higher), ordered by cost.
std::vector<size_t> frontier(const std::vector<double>& cost, const std::vector<double>& ttft,
                             const std::vector<double>& speed);

}  // namespace moesim::study
