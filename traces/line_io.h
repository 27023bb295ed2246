// Line-by-line reading and writing of trace files, plain or compressed, in constant memory.
//
//   moesim::traces::LineReader in("traces/samples/mooncake_conversation_trace.jsonl.gz");
//   for (std::string_view line; in.next(line);) { /* in.line_number() is 1-based */ }
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace moesim::traces {

/// Reads a text file line by line. zstd (by its magic number) and gzip (by zlib, which also reads plain files
/// transparently) are decompressed on the fly. Memory is one buffer, grown only for a line longer than it.
/// Errors (missing file, corrupt or truncated compressed stream) are InputError naming the file.
class LineReader {
 public:
  /// The line buffer's first size, and the decompressors' input buffers' at most (gzip 128 KiB, zstd its
  /// recommended size). Only its speed depends on it: a longer line grows the buffer.
  static constexpr size_t kDefaultBuffer = size_t{1} << 20;

  /// `buffer_bytes` (at least 64): see kDefaultBuffer. The fuzz targets read small inputs with a few KiB, where a
  /// fresh MiB per input would cost more than the parse under AddressSanitizer.
  explicit LineReader(const std::filesystem::path& path, size_t buffer_bytes = kDefaultBuffer);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// The next line without its '\n' (and a trailing '\r'); false at the end. The view is valid until the next call.
  bool next(std::string_view& line);
  /// 1-based number of the line last returned by next().
  int64_t line_number() const { return line_number_; }
  /// True if the file held no bytes at all (known once next() returned false).
  bool empty_file() const { return bytes_read_ == 0; }
  /// The path as given, for messages.
  const std::string& name() const { return name_; }

  /// Decompressing byte source (internal).
  class Decoder;

 private:
  bool fill();

  std::string name_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int64_t line_number_ = 0;
  int64_t bytes_read_ = 0;
};

/// Writes a text file, compressed by its extension: ".zst" zstd, ".gz" gzip, anything else plain.
/// Errors (cannot create, disk full) are InputError naming the file; call close() to see errors at the end.
class LineWriter {
 public:
  explicit LineWriter(const std::filesystem::path& path, int zstd_level = 3);
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  /// Appends bytes (callers batch many lines per call).
  void write(std::string_view bytes);
  /// Flushes and closes; throws InputError if anything failed.
  void close();
  const std::string& name() const { return name_; }

  /// Compressing byte sink (internal).
  class Encoder;

 private:
  std::string name_;
  std::unique_ptr<Encoder> encoder_;
};

}  // namespace moesim::traces
