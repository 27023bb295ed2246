#include "sim/observe/figures.h"

namespace moesim::observe {

const Figure* find_figure(std::string_view name) {
  for (const Figure& f : kFigures) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view better_name(Better better) {
  switch (better) {
    case Better::kLower:
      return "lower";
    case Better::kHigher:
      return "higher";
    case Better::kNone:
      break;
  }
  return "none";
}

double combine_over_seeds(OverSeeds over_seeds, double sum, int count) {
  return over_seeds == OverSeeds::kSum ? sum : sum / count;
}

}  // namespace moesim::observe
