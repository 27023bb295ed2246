#include "common/paths.h"

#include <cstdlib>

namespace moesim {

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("MOESIM_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return MOESIM_SOURCE_DIR;
}

std::filesystem::path data_path(std::string_view relative) { return data_dir() / relative; }

bool file_exists(const std::filesystem::path& file) {
  std::error_code ec;
  return std::filesystem::exists(file, ec);
}

}  // namespace moesim
