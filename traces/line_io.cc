#include "traces/line_io.h"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "common/error.h"

namespace moesim::traces {

namespace {

// A line longer than this is not a trace line: refuse rather than grow without bound.
constexpr size_t kMaxLine = size_t{256} << 20;
constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

class LineReader::Decoder {
 public:
  virtual ~Decoder() = default;
  /// Up to n decompressed bytes into dst; 0 at the end. Throws InputError on a corrupt or truncated stream.
  virtual size_t read(char* dst, size_t n) = 0;
};

namespace {

// gzip through zlib; zlib passes a file that is not gzip through unchanged ("transparent" mode).
class GzDecoder final : public LineReader::Decoder {
 public:
  GzDecoder(const std::string& name, size_t buffer_bytes) : name_(name) {
    file_ = gzopen(name.c_str(), "rb");
    if (file_ == nullptr) throw InputError(fmt::format("{}: cannot open: {}", name, errno_text()));
    gzbuffer(file_, static_cast<unsigned>(std::min<size_t>(buffer_bytes, 1 << 17)));
  }
  ~GzDecoder() override { gzclose(file_); }
  size_t read(char* dst, size_t n) override {
    int got = gzread(file_, dst, static_cast<unsigned>(std::min<size_t>(n, INT_MAX)));
    int err = Z_OK;
    const char* message = gzerror(file_, &err);
    if (got < 0 || (err != Z_OK && err != Z_BUF_ERROR)) {
      throw InputError(fmt::format("{}: cannot read (corrupt gzip stream?): {}", name_, message));
    }
    if (got == 0 && err == Z_BUF_ERROR) throw InputError(fmt::format("{}: truncated gzip stream", name_));
    return static_cast<size_t>(got);
  }

 private:
  std::string name_;
  gzFile file_ = nullptr;
};

class ZstdDecoder final : public LineReader::Decoder {
 public:
  ZstdDecoder(const std::string& name, FILE* file, size_t buffer_bytes)
      : name_(name), file_(file), input_(std::min(ZSTD_DStreamInSize(), buffer_bytes)) {
    context_ = ZSTD_createDCtx();
  }
  ~ZstdDecoder() override {
    ZSTD_freeDCtx(context_);
    std::fclose(file_);
  }
  size_t read(char* dst, size_t n) override {
    ZSTD_outBuffer out{dst, n, 0};
    for (;;) {
      if (in_.pos < in_.size || pending_) {
        size_t ret = ZSTD_decompressStream(context_, &out, &in_);
        if (ZSTD_isError(ret)) {
          throw InputError(fmt::format("{}: corrupt zstd stream: {}", name_, ZSTD_getErrorName(ret)));
        }
        frame_open_ = ret != 0;
        pending_ = out.pos == out.size;  // the output is full: the decoder may hold more
        if (out.pos > 0) return out.pos;
        if (in_.pos < in_.size) continue;
      }
      size_t got = std::fread(input_.data(), 1, input_.size(), file_);
      if (got == 0) {
        if (std::ferror(file_)) throw InputError(fmt::format("{}: cannot read: {}", name_, errno_text()));
        if (frame_open_) throw InputError(fmt::format("{}: truncated zstd stream", name_));
        return 0;
      }
      in_ = ZSTD_inBuffer{input_.data(), got, 0};
    }
  }

 private:
  std::string name_;
  FILE* file_;
  ZSTD_DCtx* context_;
  std::vector<char> input_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool pending_ = false;
  bool frame_open_ = false;
};

}  // namespace

LineReader::LineReader(const std::filesystem::path& path, size_t buffer_bytes)
    : name_(path.string()), buffer_(std::max<size_t>(buffer_bytes, 64)) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not a trace", name_));
  FILE* file = std::fopen(name_.c_str(), "rb");
  if (file == nullptr) throw InputError(fmt::format("{}: cannot open: {}", name_, errno_text()));
  unsigned char magic[4] = {0, 0, 0, 0};
  size_t got = std::fread(magic, 1, 4, file);
  if (got == 4 && std::memcmp(magic, kZstdMagic, 4) == 0) {
    std::rewind(file);
    decoder_ = std::make_unique<ZstdDecoder>(name_, file, buffer_.size());
  } else {
    std::fclose(file);
    decoder_ = std::make_unique<GzDecoder>(name_, buffer_.size());
  }
}

LineReader::~LineReader() = default;

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // keep the partial line, move it to the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() >= kMaxLine) {
      throw InputError(fmt::format("{}:{}: line longer than {} MiB", name_, line_number_ + 1, kMaxLine >> 20));
    }
    buffer_.resize(buffer_.size() * 2);
  }
  size_t got = decoder_->read(buffer_.data() + end_, buffer_.size() - end_);
  bytes_read_ += static_cast<int64_t>(got);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool LineReader::next(std::string_view& line) {
  size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* newline = std::memchr(start, '\n', end_ - scanned);
    if (newline != nullptr) {
      size_t stop = static_cast<size_t>(static_cast<const char*>(newline) - buffer_.data());
      line = std::string_view(buffer_.data() + begin_, stop - begin_);
      begin_ = stop + 1;
      break;
    }
    size_t offset = end_ - begin_;  // what is already scanned, relative to the line start
    if (!fill()) {
      if (begin_ == end_) return false;
      line = std::string_view(buffer_.data() + begin_, end_ - begin_);  // last line without '\n'
      begin_ = end_;
      break;
    }
    scanned = begin_ + offset;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++line_number_;
  return true;
}

class LineWriter::Encoder {
 public:
  virtual ~Encoder() = default;
  virtual void write(std::string_view bytes) = 0;
  virtual void close() = 0;
};

namespace {

class PlainEncoder final : public LineWriter::Encoder {
 public:
  explicit PlainEncoder(const std::string& name) : name_(name) {
    file_ = std::fopen(name.c_str(), "wb");
    if (file_ == nullptr) throw InputError(fmt::format("{}: cannot create: {}", name, errno_text()));
  }
  ~PlainEncoder() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  void write(std::string_view bytes) override {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
      throw InputError(fmt::format("{}: cannot write: {}", name_, errno_text()));
    }
  }
  void close() override {
    FILE* file = file_;
    file_ = nullptr;
    if (file != nullptr && std::fclose(file) != 0) {
      throw InputError(fmt::format("{}: cannot write: {}", name_, errno_text()));
    }
  }

 private:
  std::string name_;
  FILE* file_ = nullptr;
};

class GzEncoder final : public LineWriter::Encoder {
 public:
  explicit GzEncoder(const std::string& name) : name_(name) {
    file_ = gzopen(name.c_str(), "wb6");
    if (file_ == nullptr) throw InputError(fmt::format("{}: cannot create: {}", name, errno_text()));
  }
  ~GzEncoder() override {
    if (file_ != nullptr) gzclose(file_);
  }
  void write(std::string_view bytes) override {
    while (!bytes.empty()) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes.size(), 1 << 30));
      if (gzwrite(file_, bytes.data(), chunk) != static_cast<int>(chunk)) {
        int err = Z_OK;
        throw InputError(fmt::format("{}: cannot write: {}", name_, gzerror(file_, &err)));
      }
      bytes.remove_prefix(chunk);
    }
  }
  void close() override {
    gzFile file = file_;
    file_ = nullptr;
    if (file != nullptr && gzclose(file) != Z_OK) throw InputError(fmt::format("{}: cannot write", name_));
  }

 private:
  std::string name_;
  gzFile file_ = nullptr;
};

class ZstdEncoder final : public LineWriter::Encoder {
 public:
  ZstdEncoder(const std::string& name, int level) : plain_(name), output_(ZSTD_CStreamOutSize()) {
    context_ = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1);
  }
  ~ZstdEncoder() override { ZSTD_freeCCtx(context_); }
  void write(std::string_view bytes) override { pump(bytes, ZSTD_e_continue); }
  void close() override {
    pump({}, ZSTD_e_end);
    plain_.close();
  }

 private:
  void pump(std::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{output_.data(), output_.size(), 0};
      size_t remaining = ZSTD_compressStream2(context_, &out, &in, mode);
      if (ZSTD_isError(remaining)) throw InputError(fmt::format("zstd: {}", ZSTD_getErrorName(remaining)));
      plain_.write(std::string_view(output_.data(), out.pos));
      bool done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
      if (done) return;
    }
  }

  PlainEncoder plain_;
  ZSTD_CCtx* context_;
  std::vector<char> output_;
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

LineWriter::LineWriter(const std::filesystem::path& path, int zstd_level) : name_(path.string()) {
  if (ends_with(name_, ".zst")) {
    encoder_ = std::make_unique<ZstdEncoder>(name_, zstd_level);
  } else if (ends_with(name_, ".gz")) {
    encoder_ = std::make_unique<GzEncoder>(name_);
  } else {
    encoder_ = std::make_unique<PlainEncoder>(name_);
  }
}

LineWriter::~LineWriter() = default;

void LineWriter::write(std::string_view bytes) { encoder_->write(bytes); }

void LineWriter::close() { encoder_->close(); }

}  // namespace moesim::traces
