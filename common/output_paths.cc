#include "common/output_paths.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include "common/error.h"

namespace moesim {

namespace fs = std::filesystem;

namespace {

// The first of `path` and its parents that exists and is not a folder (empty if there is none).
fs::path file_in_the_way(const fs::path& path) {
  for (fs::path p = path; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    const auto status = fs::status(p, ec);
    if (!ec && fs::exists(status) && !fs::is_directory(status)) return p;
    if (p == p.parent_path()) break;
  }
  return {};
}

void require_writable_folder(const fs::path& dir, const fs::path& named, std::string_view option) {
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw InputError(fmt::format("{} {}: cannot write into the folder {}", option, named.string(), dir.string()));
  }
}

}  // namespace

void prepare_output_folder(const fs::path& dir, std::string_view option) {
  if (const fs::path blocking = file_in_the_way(dir); !blocking.empty()) {
    throw InputError(blocking == dir
                         ? fmt::format("{} {}: is a file, not a folder (give a folder for the outputs)", option,
                                       dir.string())
                         : fmt::format("{} {}: cannot create the folder: {} is a file", option, dir.string(),
                                       blocking.string()));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{} {}: cannot create the folder: {}", option, dir.string(), ec.message()));
  require_writable_folder(dir, dir, option);
}

void check_output_file(const fs::path& file, std::string_view option) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    throw InputError(fmt::format("{} {}: is a folder, not a file", option, file.string()));
  }
  const fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (const fs::path blocking = file_in_the_way(parent); !blocking.empty()) {
    throw InputError(fmt::format("{} {}: {} is a file, not a folder", option, file.string(), blocking.string()));
  }
  if (!fs::is_directory(parent, ec)) {
    throw InputError(fmt::format("{} {}: the folder {} does not exist", option, file.string(), parent.string()));
  }
  require_writable_folder(parent, file, option);
}

void write_text_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  if (!out) throw InputError(fmt::format("{}: cannot open for writing", file.string()));
  out << text;
  out.flush();
  if (!out) throw InputError(fmt::format("{}: cannot write", file.string()));
}

}  // namespace moesim
