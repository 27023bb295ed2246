// Shared pieces of the fuzz targets (fuzz/README.md): a scratch folder per process, writing the input to a file there
// (the loaders read files), compressing it (so that the .gz and .zst paths see valid frames as well as garbage), and
// the rule that only moesim::InputError is an acceptable failure: any other exception escapes and libFuzzer reports
// it as a crash.
//
//   MOESIM_FUZZ_TARGET(json) {  // data, size
//     auto file = moesim::fuzz::scratch().write("in.json", data, size);
//     moesim::fuzz::expect_input_errors([&] { moesim::load_json_file(file); });
//     return 0;
//   }
#pragma once

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace moesim::fuzz {

using Target = std::function<int(const uint8_t*, size_t)>;

/// The targets linked into the replay program (fuzz/replay_main.cc), by name.
inline std::map<std::string, Target>& targets() {
  static std::map<std::string, Target> all;
  return all;
}
inline bool register_target(const char* name, Target target) {
  targets().emplace(name, std::move(target));
  return true;
}

/// A folder of this process's own under the temp folder, removed at exit.
class Scratch {
 public:
  Scratch() : dir_(std::filesystem::temp_directory_path() / ("moesim-fuzz-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path write(const std::string& name, std::string_view bytes) const {
    auto path = dir_ / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  std::filesystem::path write(const std::string& name, const uint8_t* data, size_t size) const {
    return write(name, std::string_view(reinterpret_cast<const char*>(data), size));
  }

 private:
  std::filesystem::path dir_;
};

inline Scratch& scratch() {
  static Scratch s;
  return s;
}

/// Runs `f`; an InputError is the expected answer to bad input. Anything else propagates (a crash to libFuzzer).
template <typename F>
void expect_input_errors(F&& f) {
  try {
    f();
  } catch (const moesim::InputError&) {
  }
}

/// A property that must hold: abort (a crash to libFuzzer) when it does not.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

inline std::string gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: a gzip wrapper
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

}  // namespace moesim::fuzz

// A target's entry: libFuzzer's LLVMFuzzerTestOneInput in the fuzz build (clang, MOESIM_FUZZ=ON); in the ordinary
// build, a named function of the replay program, which runs the committed corpora and regressions under CTest.
#ifdef MOESIM_FUZZ_REPLAY
#define MOESIM_FUZZ_TARGET(name)                                                                              \
  static int moesim_fuzz_##name(const uint8_t* data, size_t size);                                            \
  static const bool moesim_fuzz_registered_##name = moesim::fuzz::register_target(#name, moesim_fuzz_##name); \
  static int moesim_fuzz_##name(const uint8_t* data, size_t size)
#else
#define MOESIM_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#endif
