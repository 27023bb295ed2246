// Shared helpers of the traces tests: a scratch directory, small files, the samples, and running the CLI.
//
//   TempDir dir;  auto path = dir.write("bad.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n...");
//   auto all = read_all(*moesim::traces::open_trace(sample("AzureLLMInferenceTrace_conv.csv")));
#pragma once

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/command.h"
#include "traces/source.h"

namespace moesim::traces::test {

/// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("moesim-traces-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path(const std::string& name) const { return path_ / name; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    auto p = path(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path sample(const std::string& name) {
  return std::filesystem::path(MOESIM_SOURCE_DIR) / "traces" / "samples" / name;
}

struct ReadBack {
  std::vector<Request> requests;
  std::vector<std::vector<uint64_t>> hashes;
  std::vector<std::string> models;  ///< the source's model names by index
  std::string_view model(size_t i) const { return models[requests[i].model]; }
};

inline ReadBack read_all(RequestSource& source) {
  ReadBack out;
  for (Request r; source.next(r);) {
    out.requests.push_back(r);
    auto h = source.block_hashes();
    out.hashes.emplace_back(h.begin(), h.end());
  }
  out.models = source.models();
  return out;
}

/// Runs a shell command; returns its exit status and its output (the command itself may fold stderr in).
inline std::pair<int, std::string> run(const std::string& command) {
  auto r = moesim::test::run_shell(command);
  return {r.status, r.output};
}

}  // namespace moesim::traces::test
