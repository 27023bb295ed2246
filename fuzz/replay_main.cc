// The replay program of the ordinary build: runs fuzz inputs through the fuzz targets without libFuzzer, so that the
// committed seed corpora and every crash found (fuzz/regressions/) are tests under g++ and its sanitizers too.
//
//   fuzz_replay json fuzz/corpus/json fuzz/regressions/json   # every file in those folders (missing ones skipped)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_replay TARGET FILE_OR_FOLDER...\ntargets:");
    for (const auto& [name, target] : moesim::fuzz::targets()) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  auto it = moesim::fuzz::targets().find(argv[1]);
  if (it == moesim::fuzz::targets().end()) {
    std::fprintf(stderr, "fuzz_replay: no target %s\n", argv[1]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 2; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::directory_iterator(p)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (std::filesystem::exists(p)) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    it->second(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("fuzz_replay %s: %zu inputs, no crash\n", argv[1], files.size());
  return 0;
}
