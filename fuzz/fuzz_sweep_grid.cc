// Fuzz target: a sweep's grid file (moesim sweep --grid), read and expanded as the command does (read_grid), and its
// candidates applied to the base scenario and strictly parsed (fuzz/study_target.h). Nothing is simulated.
#include "fuzz/fuzz_support.h"
#include "fuzz/study_target.h"
#include "tools/study/grid.h"

MOESIM_FUZZ_TARGET(sweep_grid) {
  using namespace moesim;
  auto file = fuzz::scratch().write("grid.json", data, size);
  fuzz::expect_input_errors([&] {
    study::Grid grid = study::read_grid(file);
    fuzz::check_candidates(grid, file.string());
  });
  return 0;
}
