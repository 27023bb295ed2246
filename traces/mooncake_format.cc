// Mooncake JSONL (kvcache-ai/Mooncake FAST25 traces): one object a line with "timestamp" (ms from the trace start),
// "input_length", "output_length" (tokens) and "hash_ids" (one id per 512-token prefix block). Parsed with
// nlohmann's SAX interface: no document tree, no allocation per line once the buffers have grown.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/json_parse.h"
#include "traces/format_registry.h"
#include "traces/formats.h"
#include "traces/line_source.h"

namespace moesim::traces {

namespace {

using Json = nlohmann::json;

// Collects one line's fields; any problem stops the parse with a message.
class MooncakeLine final : public nlohmann::json_sax<Json> {
 public:
  enum class Key { kNone, kTimestamp, kInput, kOutput, kHashes, kOther };

  void reset() {
    depth_ = 0;
    key_ = Key::kNone;
    seen_timestamp_ = seen_input_ = seen_output_ = seen_hashes_ = false;
    error.clear();
    hashes.clear();
  }

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool string(string_t&) override { return scalar("a string"); }
  bool binary(binary_t&) override { return scalar("binary data"); }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v), v, true); }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ == 2 && key_ == Key::kHashes) {
      hashes.push_back(v);
      return true;
    }
    int64_t as_signed = v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                            ? std::numeric_limits<int64_t>::max()
                            : static_cast<int64_t>(v);
    return number(static_cast<double>(v), as_signed, true);
  }
  bool number_float(number_float_t v, const string_t&) override { return number(v, 0, false); }

  bool start_object(std::size_t) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ <= 2 && key_ != Key::kOther) return fail_type("an object");
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    if (depth_ > 0) return true;
    if (!seen_timestamp_) return fail("missing key \"timestamp\"");
    if (!seen_input_) return fail("missing key \"input_length\"");
    if (!seen_output_) return fail("missing key \"output_length\"");
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return fail("expected a JSON object, got an array");
    if (depth_ == 1 && key_ != Key::kHashes && key_ != Key::kOther) return fail_type("an array");
    if (depth_ == 2 && key_ == Key::kHashes) return fail("hash_ids: expected unsigned integers, got an array");
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(string_t& name) override {
    if (depth_ != 1) return true;  // keys of objects nested under an unknown key
    bool* seen = nullptr;
    if (name == "timestamp") {
      key_ = Key::kTimestamp;
      seen = &seen_timestamp_;
    } else if (name == "input_length") {
      key_ = Key::kInput;
      seen = &seen_input_;
    } else if (name == "output_length") {
      key_ = Key::kOutput;
      seen = &seen_output_;
    } else if (name == "hash_ids") {
      key_ = Key::kHashes;
      seen = &seen_hashes_;
    } else {
      key_ = Key::kOther;  // other keys are allowed and ignored (traces may carry extra fields)
      return true;
    }
    if (*seen) return fail(fmt::format("duplicate key \"{}\"", name));
    *seen = true;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    error = fmt::format("invalid JSON at column {}: {}", position, json_error_detail(e));
    return false;
  }

  std::string error;
  double timestamp_ms = 0;
  int64_t input = 0;
  int64_t output = 0;
  std::vector<uint64_t> hashes;

 private:
  const char* key_name() const {
    switch (key_) {
      case Key::kTimestamp:
        return "timestamp";
      case Key::kInput:
        return "input_length";
      case Key::kOutput:
        return "output_length";
      case Key::kHashes:
        return "hash_ids";
      default:
        return "value";
    }
  }
  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  bool fail_type(const char* got) {
    if (depth_ == 0) return fail(fmt::format("expected a JSON object, got {}", got));
    if (depth_ == 2 && key_ == Key::kHashes)
      return fail(fmt::format("hash_ids: expected unsigned integers, got {}", got));
    return fail(fmt::format("{}: expected a number, got {}", key_name(), got));
  }
  bool scalar(const char* what) {
    if (depth_ == 0 || (depth_ <= 2 && key_ != Key::kOther)) return fail_type(what);
    return true;
  }
  bool number(double value, int64_t integer, bool is_integer) {
    if (depth_ == 0) return fail("expected a JSON object, got a number");
    if (key_ == Key::kOther) return true;
    if (depth_ == 2) {  // inside hash_ids
      return fail(fmt::format("hash_ids: expected unsigned integers, got {}", value));
    }
    switch (key_) {
      case Key::kTimestamp:
        // Up to 9e12 ms (285 years) so that the time fits int64 nanoseconds.
        if (!std::isfinite(value) || value < 0 || value > 9e12) {
          return fail(fmt::format("timestamp: expected a time in [0, 9e12] ms, got {}", value));
        }
        timestamp_ms = value;
        return true;
      case Key::kInput:
      case Key::kOutput: {
        if (!is_integer) return fail(fmt::format("{}: expected an integer, got {}", key_name(), value));
        if (integer <= 0 || integer > std::numeric_limits<int32_t>::max()) {
          return fail(fmt::format("{}: expected a positive token count, got {}", key_name(), integer));
        }
        (key_ == Key::kInput ? input : output) = integer;
        return true;
      }
      case Key::kHashes:
        return fail("hash_ids: expected an array, got a number");
      default:
        return true;
    }
  }

  int depth_ = 0;
  Key key_ = Key::kNone;
  bool seen_timestamp_ = false;
  bool seen_input_ = false;
  bool seen_output_ = false;
  bool seen_hashes_ = false;
};

class MooncakeReader final : public LineSource {
 public:
  MooncakeReader(const std::filesystem::path& path, const ReadOptions& options) : LineSource(path, options) {}

  std::span<const uint64_t> block_hashes() const override { return sax_.hashes; }

 protected:
  bool preamble(std::string_view, int64_t) override { return false; }

  void parse_line(std::string_view line, Request& out) override {
    sax_.reset();
    bool ok = Json::sax_parse(line.begin(), line.end(), &sax_);
    if (!ok || !sax_.error.empty()) {
      throw BadLine{sax_.error.empty() ? std::string("invalid JSON") : sax_.error};
    }
    out.arrival_ns = std::llround(sax_.timestamp_ms * 1e6);
    out.input_tokens = static_cast<int32_t>(sax_.input);
    out.output_tokens = static_cast<int32_t>(sax_.output);
    out.cached_tokens = 0;  // decided by the KV cache model from the hashes
    out.model = 0;          // the run's default model (ReadOptions::default_model)
    if (!sax_.hashes.empty() && static_cast<int64_t>(sax_.hashes.size()) != blocks_for(sax_.input)) {
      throw BadLine{fmt::format("hash_ids: {} ids for {} input tokens, expected {} (one per {}-token block)",
                                sax_.hashes.size(), sax_.input, blocks_for(sax_.input), kBlockTokens)};
    }
  }

 private:
  MooncakeLine sax_;
};

class MooncakeWriter final : public RequestSink {
 public:
  MooncakeWriter(const std::filesystem::path& path, const WriteOptions& options) : out_(path, options.zstd_level) {}

  void write(const Request& r, std::span<const uint64_t> hashes, std::string_view) override {
    auto& b = out_.buffer();
    auto it = std::back_inserter(b);
    // Mooncake timestamps are integer milliseconds; finer times keep their digits.
    if (r.arrival_ns % 1'000'000 == 0) {
      fmt::format_to(it, "{{\"timestamp\": {}", r.arrival_ns / 1'000'000);
    } else {
      fmt::format_to(it, "{{\"timestamp\": {}.{:06}", r.arrival_ns / 1'000'000, r.arrival_ns % 1'000'000);
    }
    fmt::format_to(it, ", \"input_length\": {}, \"output_length\": {}, \"hash_ids\": [", r.input_tokens,
                   r.output_tokens);
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (i > 0) b.append(std::string_view(", "));
      fmt::format_to(it, "{}", hashes[i]);
    }
    fmt::format_to(it, "]}}\n");
    out_.maybe_flush();
  }

  void close() override { out_.close(); }

 private:
  BufferedText out_;
};

}  // namespace

TraceFormatEntry mooncake_format() {
  return {.name = "mooncake",
          .recognises =
              [](std::string_view line) {
                const size_t first = line.find_first_not_of(" \t");
                return first != std::string_view::npos && line[first] == '{';
              },
          .first_line = "a JSON object",
          .make_reader = [](const auto& path,
                            const auto& options) { return std::make_unique<MooncakeReader>(path, options); },
          .make_writer = [](const auto& path,
                            const auto& options) { return std::make_unique<MooncakeWriter>(path, options); },
          .writer_suffixes = {".jsonl", ".jsonl.gz", ".jsonl.zst"},
          .written_note = "the Mooncake format keeps arrival times, lengths and block hashes only"};
}

}  // namespace moesim::traces
