// The output-path checks every command makes before its work (common/output_paths.h).
#include "common/output_paths.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace fs = std::filesystem;

namespace {

fs::path fresh(const char* name) {
  auto dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("output folder: a missing folder is created with its parents, and an existing one is accepted") {
  const auto dir = fresh("moesim-output-folder");
  moesim::prepare_output_folder(dir / "a" / "b", "--out");
  CHECK(fs::is_directory(dir / "a" / "b"));
  CHECK_NOTHROW(moesim::prepare_output_folder(dir / "a" / "b", "--out"));
}

TEST_CASE("output folder: a file in the way, at the folder or a parent, is an error naming the option and the file") {
  const auto dir = fresh("moesim-output-folder-file");
  std::ofstream(dir / "f") << "x";
  CHECK_THROWS_WITH(moesim::prepare_output_folder(dir / "f", "--out"),
                    Catch::Contains("--out " + (dir / "f").string() + ": is a file, not a folder"));
  CHECK_THROWS_WITH(moesim::prepare_output_folder(dir / "f" / "g", "--out"),
                    Catch::Contains("cannot create the folder: " + (dir / "f").string() + " is a file"));
}

TEST_CASE("output file: a folder, or a file in a missing folder, is refused without creating anything") {
  const auto dir = fresh("moesim-output-file");
  CHECK_THROWS_AS(moesim::check_output_file(dir, "--write"), moesim::InputError);
  CHECK_THROWS_WITH(moesim::check_output_file(dir / "no" / "x.json", "--write"), Catch::Contains("does not exist"));
  CHECK_NOTHROW(moesim::check_output_file(dir / "x.json", "--write"));
  CHECK_FALSE(fs::exists(dir / "x.json"));
}

TEST_CASE("output file: written text reads back, and a file that cannot be opened is an error naming it") {
  const auto dir = fresh("moesim-output-text");
  moesim::write_text_file(dir / "t.txt", "hello\n");
  std::ifstream in(dir / "t.txt");
  std::string line;
  std::getline(in, line);
  CHECK(line == "hello");
  CHECK_THROWS_WITH(moesim::write_text_file(dir, "x"), Catch::Contains(dir.string() + ": cannot open for writing"));
}
