// Where moesim finds its data files (hardware specs and tables, the model description, scenarios, trace samples).
//
//   auto spec = moesim::data_path("hardware/specs/h800.json");
#pragma once

#include <filesystem>
#include <string_view>

namespace moesim {

/// The project root that holds hardware/, models/, scenarios/ and traces/: $MOESIM_DATA_DIR if set, else the source
/// tree this binary was built from.
std::filesystem::path data_dir();

/// data_dir() / relative.
std::filesystem::path data_path(std::string_view relative);

}  // namespace moesim
