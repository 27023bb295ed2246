// The trace format registry: one body run over every registered format (write, detect, read back), and the names,
// help texts and errors the registry gives the command line and the scenario parser.
#include "traces/format_registry.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "tests/traces/helpers.h"

using namespace moesim::traces;
using Catch::Matchers::Contains;
using moesim::traces::test::read_all;
using moesim::traces::test::TempDir;

TEST_CASE("trace formats: every registered format writes a file that is detected as itself and reads back") {
  const TraceFormats& formats = trace_formats();
  REQUIRE(formats.names().size() >= 3);
  const std::vector<Request> requests = {
      {.arrival_ns = 0, .input_tokens = 600, .cached_tokens = 0, .output_tokens = 20, .session = 0},
      {.arrival_ns = 1'000'000'000, .input_tokens = 1200, .cached_tokens = 0, .output_tokens = 7, .session = 1}};
  TempDir dir;
  for (const auto& format : formats.entries()) {
    INFO(format.name);
    if (!format.make_writer) continue;
    const auto path = dir.path("t." + format.name + ".gz");
    auto sink = format.make_writer(path, {});
    for (const auto& r : requests) sink->write(r, {}, "deepseek-v3");
    sink->close();
    CHECK(detect_format(path) == format.name);
    auto back = read_all(*open_trace(path));
    REQUIRE(back.requests.size() == requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      CHECK(back.requests[i].arrival_ns == requests[i].arrival_ns);
      CHECK(back.requests[i].input_tokens == requests[i].input_tokens);
      CHECK(back.requests[i].output_tokens == requests[i].output_tokens);
    }
  }
}

TEST_CASE("trace formats: names, help texts and errors come from the registry") {
  const TraceFormats& formats = trace_formats();
  CHECK(formats.known() == "native, mooncake, azure");
  CHECK(formats.expected() == "auto, native, mooncake or azure");
  CHECK(formats.choices() == "auto|native|mooncake|azure");
  CHECK_NOTHROW(formats.check("auto", "--from"));
  CHECK_THROWS_WITH(formats.check("parquet", "--from"),
                    "--from: expected auto, native, mooncake or azure, got 'parquet'");
  CHECK_THROWS_AS(formats.get("auto"), moesim::InputError);
  TempDir dir;
  CHECK_THROWS_WITH(open_trace(dir.write("x.csv", "0,1,2\n"), "parquet"), Contains("expected auto, native"));
}

TEST_CASE("trace formats: auto writes by the file name's ending, else in the first format") {
  const TraceFormats& formats = trace_formats();
  CHECK(formats.for_writing("day.jsonl.zst", "auto").name == "mooncake");
  CHECK(formats.for_writing("day.trace.csv.zst", "auto").name == "native");
  CHECK(formats.for_writing("day.jsonl", "azure").name == "azure");
  CHECK(writer_format("day.jsonl.gz", "auto") == "mooncake");
}

TEST_CASE("trace formats: a second format of the same name, or one called auto, is refused") {
  TraceFormats formats;
  register_builtin_trace_formats(formats);
  TraceFormatEntry again = formats.entries().front();
  CHECK_THROWS_AS(formats.add(again), std::logic_error);
  again.name = "auto";
  CHECK_THROWS_AS(formats.add(again), std::logic_error);
}
