// Bad trace input: every error names file:line; with skip_bad the line is skipped and counted.
// Decision (traces/SCHEMA.md): timestamps out of order are rejected, not sorted, because readers stream in constant
// memory; with --skip-bad the out-of-order line is skipped and counted.
#include <zstd.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "tests/traces/helpers.h"
#include "traces/sink.h"

using namespace moesim::traces;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using moesim::InputError;
using moesim::traces::test::read_all;
using moesim::traces::test::TempDir;

namespace {

const std::string kNativeHead =
    "#moesim-trace v1\n# a comment\narrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes\n";
const std::string kAzureHead = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

// The InputError message of reading the whole file (empty if it reads cleanly).
std::string error_of(const std::filesystem::path& path, std::string_view format = "auto") {
  try {
    read_all(*open_trace(path, format));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

struct Case {
  const char* what;
  std::string content;
  int line;
  const char* message;
};

// Each case: a file with one bad line among good ones, the line number and a part of the message.
std::vector<Case> cases() {
  return {
      {"native truncated line", kNativeHead + "0,100,0,10,V3,0,\n5,100,0", 5,
       "expected 7 comma-separated fields, got 3"},
      {"native non-numeric", kNativeHead + "0,100,0,10,V3,0,\n5,abc,0,10,V3,1,\n", 5,
       "input_tokens: expected an integer, got 'abc'"},
      {"native zero output", kNativeHead + "0,100,0,0,V3,0,\n", 4,
       "output_tokens: expected a positive token count, got 0"},
      {"native negative input", kNativeHead + "0,-3,0,10,V3,0,\n", 4,
       "input_tokens: expected a positive token count, got -3"},
      {"native cached above input", kNativeHead + "0,100,101,10,V3,0,\n", 4, "cached_tokens: 101 is not between 0"},
      {"native bad model", kNativeHead + "0,100,0,10,V 4,0,\n", 4, "model: expected a name (letters, digits"},
      {"native wrong hash count", kNativeHead + "0,1025,0,10,V3,0,1 2\n", 4, "expected 3 (one per 512-token block)"},
      {"native out of order", kNativeHead + "500,100,0,10,V3,0,\n499,100,0,10,V3,1,\n", 5, "timestamp out of order"},
      {"mooncake truncated line",
       "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5, \"hash_ids\": [0]}\n{\"timestamp\": 3, \"inpu",
       2, "invalid JSON"},
      {"mooncake non-numeric", "{\"timestamp\": 0, \"input_length\": \"ten\", \"output_length\": 5}\n", 1,
       "input_length: expected a number, got a string"},
      {"mooncake zero input", "{\"timestamp\": 0, \"input_length\": 0, \"output_length\": 5}\n", 1,
       "input_length: expected a positive token count, got 0"},
      {"mooncake negative output", "{\"timestamp\": 0, \"input_length\": 4, \"output_length\": -5}\n", 1,
       "output_length: expected a positive token count, got -5"},
      {"mooncake fractional length", "{\"timestamp\": 0, \"input_length\": 4.5, \"output_length\": 5}\n", 1,
       "input_length: expected an integer, got 4.5"},
      {"mooncake missing key", "{\"timestamp\": 0, \"input_length\": 4}\n", 1, "missing key \"output_length\""},
      {"mooncake hash count", "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [1]}\n", 1,
       "hash_ids: 1 ids for 600 input tokens, expected 2"},
      {"mooncake negative hash", "{\"timestamp\": 0, \"input_length\": 6, \"output_length\": 5, \"hash_ids\": [-1]}\n",
       1, "hash_ids: expected unsigned integers"},
      {"mooncake out of order",
       "{\"timestamp\": 3000, \"input_length\": 6, \"output_length\": 5}\n{\"timestamp\": 2999, \"input_length\": 6, "
       "\"output_length\": 5}\n",
       2, "timestamp out of order: 2.999000 s is earlier than the previous request's 3.000000 s"},
      {"azure truncated line", kAzureHead + "2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.99,396\n", 3,
       "expected 3 comma-separated fields, got 2"},
      {"azure non-numeric", kAzureHead + "2023-11-16 18:15:46.6805900,37x4,44\n", 2,
       "ContextTokens: expected an integer, got '37x4'"},
      {"azure bad time", kAzureHead + "2023-13-16 18:15:46.6805900,374,44\n", 2, "TIMESTAMP: expected"},
      {"azure year out of range", kAzureHead + "9999-11-16 18:15:46.6805900,374,44\n", 2, "TIMESTAMP: expected"},
      {"mooncake huge timestamp", "{\"timestamp\": 1e300, \"input_length\": 4, \"output_length\": 5}\n", 1,
       "timestamp: expected a time in [0, 9e12] ms, got 1e+300"},
      {"azure zero output", kAzureHead + "2023-11-16 18:15:46.6805900,374,0\n", 2,
       "GeneratedTokens: expected a positive token count, got 0"},
      {"azure negative input", kAzureHead + "2023-11-16 18:15:46.6805900,-374,10\n", 2,
       "ContextTokens: expected a positive token count, got -374"},
      {"azure out of order", kAzureHead + "2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:45.0000000,374,44\n", 3,
       "timestamp out of order"},
  };
}

}  // namespace

TEST_CASE("traces: a bad line is an error naming file:line and the field") {
  TempDir dir;
  int index = 0;
  for (const Case& c : cases()) {
    INFO(c.what);
    auto path = dir.write("case" + std::to_string(index++) + ".trace", c.content);
    std::string message = error_of(path);
    CHECK_THAT(message, StartsWith(path.string() + ":" + std::to_string(c.line) + ": "));
    CHECK_THAT(message, Contains(c.message));
  }
}

TEST_CASE("traces: with skip_bad a bad line is skipped and counted, and the good lines still read") {
  TempDir dir;
  int index = 0;
  for (const Case& c : cases()) {
    INFO(c.what);
    // Put a good line in front (each format) so that something remains after skipping.
    auto path = dir.write("case" + std::to_string(index++) + ".trace", c.content);
    const std::string format = detect_format(path).value_or("");
    std::string good = format == "native"  ? kNativeHead + "0,7,0,7,V3,9,\n"
                       : format == "azure" ? kAzureHead + "2023-11-16 18:15:46.0000000,7,7\n"
                                           : "{\"timestamp\": 0, \"input_length\": 7, \"output_length\": 7}\n";
    // Re-write: the good line, then the case's body lines (headers dropped).
    std::string body = c.content;
    size_t skip_lines = format == "native" ? 3 : format == "azure" ? 1 : 0;
    for (size_t i = 0; i < skip_lines; ++i) body = body.substr(body.find('\n') + 1);
    path = dir.write("skip" + std::to_string(index) + ".trace", good + body);
    auto source = open_trace(path, "auto", {.skip_bad = true});
    auto all = read_all(*source);
    CHECK(source->counters().skipped_bad == 1);
    REQUIRE(source->counters().first_bad.size() == 1);
    CHECK_THAT(source->counters().first_bad[0], Contains(c.message));
    CHECK(all.requests.size() + 1 == static_cast<size_t>(source->counters().lines - skip_lines));
  }
}

TEST_CASE("traces: empty, header-only, all-bad and missing files are errors naming the file") {
  TempDir dir;
  auto empty = dir.write("empty.jsonl", "");
  CHECK(error_of(empty, "mooncake") == empty.string() + ": empty file");
  CHECK_THROWS_WITH(open_trace(empty), empty.string() + ": empty file");
  auto header_only = dir.write("h.csv", kAzureHead);
  CHECK(error_of(header_only) == header_only.string() + ": no requests");
  auto native_header = dir.write("h.trace", kNativeHead);
  CHECK(error_of(native_header) == native_header.string() + ": no requests");
  auto all_bad = dir.write("bad.csv", kAzureHead + "x,1,1\ny,2,2\n");
  try {
    auto source = open_trace(all_bad, "auto", {.skip_bad = true});
    read_all(*source);
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == all_bad.string() + ": no valid requests (2 bad lines skipped)");
  }
  auto missing = dir.path("missing.jsonl");
  CHECK_THROWS_WITH(open_trace(missing), Contains(missing.string() + ": cannot open: No such file or directory"));
  CHECK_THROWS_WITH(open_trace(dir.write("what.txt", "hello\n")), Contains("cannot tell the trace format"));
  CHECK_THAT(error_of(dir.write("v2.trace", "#moesim-trace v2\n")),
             Contains(":1: unsupported native trace version 'v2'"));
  CHECK_THROWS_WITH(read_all(*open_trace(dir.write("hdr.trace", "#moesim-trace v1\narrival,input\n"))),
                    Contains("hdr.trace:2: expected the header"));
}

TEST_CASE("traces: truncated and corrupt compressed files are errors, not short traces") {
  TempDir dir;
  std::string text = kNativeHead;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + ",100,0,10,V3," + std::to_string(i) + ",\n";
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 3));
  auto whole = dir.write("whole.trace.zst", packed);
  CHECK(read_all(*open_trace(whole)).requests.size() == 20000);
  auto cut = dir.write("cut.trace.zst", packed.substr(0, packed.size() / 2));
  CHECK_THAT(error_of(cut), Contains("truncated zstd stream"));
  std::string corrupt = packed;
  for (size_t i = 4; i < 8; ++i) corrupt[i] = static_cast<char>(0xff);  // the frame header
  CHECK_THAT(error_of(dir.write("corrupt.trace.zst", corrupt)), Contains("corrupt zstd stream"));
  corrupt = packed;
  for (size_t i = 100; i < 200; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);  // the data
  CHECK_THAT(error_of(dir.write("garbled.trace.zst", corrupt)), StartsWith(dir.path("garbled.trace.zst").string()));

  auto gz = dir.path("whole.trace.gz");
  {
    auto sink = open_trace_writer(gz, "native");
    for (int i = 0; i < 20000; ++i) {
      sink->write({.arrival_ns = i, .input_tokens = 100, .cached_tokens = 0, .output_tokens = 10}, {}, "deepseek-v3");
    }
    sink->close();
  }
  CHECK(read_all(*open_trace(gz)).requests.size() == 20000);
  std::ifstream in(gz, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(error_of(dir.write("cut.trace.gz", bytes.substr(0, bytes.size() / 2))), Contains("truncated gzip stream"));
}

TEST_CASE("traces: lines longer than the read buffer, CRLF endings and a missing final newline read correctly") {
  TempDir dir;
  std::string hashes;
  const int blocks = 300000;  // a 3 MB line: longer than the 1 MiB buffer
  for (int i = 0; i < blocks; ++i) {
    if (i > 0) hashes += ' ';
    hashes += std::to_string(i);
  }
  std::string line = "0," + std::to_string(blocks * 512) + ",0,10,V3,0," + hashes;
  auto path = dir.write("long.trace", kNativeHead + line + "\r\n1,5,0,1,R1,1,");
  auto all = read_all(*open_trace(path));
  REQUIRE(all.requests.size() == 2);
  CHECK(all.hashes[0].size() == static_cast<size_t>(blocks));
  CHECK(all.hashes[0].back() == static_cast<uint64_t>(blocks - 1));
  auto source = open_trace(path);
  read_all(*source);
  CHECK(source->models()[all.requests[1].model] == "r1");  // the name as written, in lower case
}
