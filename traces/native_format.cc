// The native trace format (traces/SCHEMA.md): "#moesim-trace v1", comment lines, a fixed header, then one request a
// line: arrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes (space-separated, may be empty).
#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "traces/format_registry.h"
#include "traces/formats.h"
#include "traces/line_source.h"

namespace moesim::traces {

namespace {

// The first line ("#moesim-trace v1"), and the column header that follows the comment lines.
constexpr std::string_view kNativeMagic = "#moesim-trace";
constexpr std::string_view kNativeVersion = "v1";
constexpr std::string_view kNativeHeader =
    "arrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes";

class NativeReader final : public LineSource {
 public:
  NativeReader(const std::filesystem::path& path, const ReadOptions& options) : LineSource(path, options) {}

  std::span<const uint64_t> block_hashes() const override { return hashes_; }

 protected:
  bool preamble(std::string_view line, int64_t line_number) override {
    if (line_number == 1) {
      if (!line.starts_with(kNativeMagic)) {
        throw BadLine{
            fmt::format("not a native moesim trace: the first line must be '{} {}'", kNativeMagic, kNativeVersion)};
      }
      std::string_view version = line.substr(kNativeMagic.size());
      while (!version.empty() && version.front() == ' ') version.remove_prefix(1);
      if (version != kNativeVersion) {
        throw BadLine{
            fmt::format("unsupported native trace version '{}' (this moesim reads {})", version, kNativeVersion)};
      }
      return true;
    }
    if (line.starts_with('#')) return true;  // comments: provenance written by the generator or converter
    if (!header_seen_) {
      if (line != kNativeHeader) throw BadLine{fmt::format("expected the header '{}'", kNativeHeader)};
      header_seen_ = true;
      return true;
    }
    return false;
  }

  bool has_sessions() const override { return true; }

  void parse_line(std::string_view line, Request& out) override {
    std::string_view f[7];
    size_t count = split_fields(line, f, 7);
    if (count != 7) throw BadLine{fmt::format("expected 7 comma-separated fields, got {}", count)};
    out.arrival_ns = parse_integer(f[0], "arrival_ns");
    out.input_tokens = parse_length(f[1], "input_tokens");
    int64_t cached = parse_integer(f[2], "cached_tokens");
    if (cached < 0 || cached > out.input_tokens) {
      throw BadLine{fmt::format("cached_tokens: {} is not between 0 and input_tokens ({})", cached, out.input_tokens)};
    }
    out.cached_tokens = static_cast<int32_t>(cached);
    out.output_tokens = parse_length(f[3], "output_tokens");
    out.model = model_index(f[4]);
    out.session = parse_unsigned(f[5], "session");
    hashes_.clear();
    std::string_view rest = f[6];
    while (!rest.empty()) {
      size_t space = rest.find(' ');
      std::string_view item = rest.substr(0, space);
      if (!item.empty()) hashes_.push_back(parse_unsigned(item, "block_hashes"));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    if (!hashes_.empty() && static_cast<int64_t>(hashes_.size()) != blocks_for(out.input_tokens)) {
      throw BadLine{fmt::format("block_hashes: {} hashes for {} input tokens, expected {} (one per {}-token block)",
                                hashes_.size(), out.input_tokens, blocks_for(out.input_tokens), kBlockTokens)};
    }
  }

 private:
  static uint64_t parse_unsigned(std::string_view field, std::string_view what) {
    uint64_t value = 0;
    const char* end = field.data() + field.size();
    auto [ptr, ec] = std::from_chars(field.data(), end, value);
    if (field.empty() || ec != std::errc() || ptr != end) {
      throw BadLine{fmt::format("{}: expected an unsigned integer, got '{}'", what, field.substr(0, 40))};
    }
    return value;
  }

  bool header_seen_ = false;
  std::vector<uint64_t> hashes_;
};

class NativeWriter final : public RequestSink {
 public:
  NativeWriter(const std::filesystem::path& path, const WriteOptions& options) : out_(path, options.zstd_level) {
    auto& b = out_.buffer();
    fmt::format_to(std::back_inserter(b), "{} {}\n", kNativeMagic, kNativeVersion);
    for (const auto& comment : options.comments) fmt::format_to(std::back_inserter(b), "# {}\n", comment);
    fmt::format_to(std::back_inserter(b), "{}\n", kNativeHeader);
  }

  void write(const Request& r, std::span<const uint64_t> hashes, std::string_view model) override {
    auto& b = out_.buffer();
    auto put = [&b](auto value) {
      fmt::format_int text(value);
      b.append(text.data(), text.data() + text.size());
    };
    put(r.arrival_ns);
    b.push_back(',');
    put(r.input_tokens);
    b.push_back(',');
    put(r.cached_tokens);
    b.push_back(',');
    put(r.output_tokens);
    b.push_back(',');
    b.append(model.data(), model.data() + model.size());
    b.push_back(',');
    put(r.session);
    b.push_back(',');
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (i > 0) b.push_back(' ');
      put(hashes[i]);
    }
    b.push_back('\n');
    out_.maybe_flush();
  }

  void close() override { out_.close(); }

 private:
  BufferedText out_;
};

}  // namespace

TraceFormatEntry native_format() {
  return {.name = "native",
          .recognises = [](std::string_view line) { return line.starts_with(kNativeMagic); },
          .first_line = fmt::format("'{} {}'", kNativeMagic, kNativeVersion),
          .make_reader = [](const auto& path,
                            const auto& options) { return std::make_unique<NativeReader>(path, options); },
          .make_writer = [](const auto& path,
                            const auto& options) { return std::make_unique<NativeWriter>(path, options); }};
}

}  // namespace moesim::traces
