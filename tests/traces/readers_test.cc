// The readers against the published sample traces (facts from shared/traces/README.md), and format round trips.
#include <catch2/catch.hpp>

#include "tests/traces/helpers.h"
#include "traces/sink.h"
#include "traces/trace_stats.h"

using namespace moesim::traces;
using moesim::traces::test::read_all;
using moesim::traces::test::ReadBack;
using moesim::traces::test::sample;
using moesim::traces::test::TempDir;

namespace {

const std::string kNativeHeader =
    "#moesim-trace v1\narrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes\n";
using Catch::Matchers::Contains;

TraceStats stats_of(RequestSource& source) {
  TraceStats stats;
  for (Request r; source.next(r);) stats.add(r, source.block_hashes());
  return stats;
}

void write_all(const ReadBack& data, const std::filesystem::path& path, std::string_view format) {
  auto sink = open_trace_writer(path, format);
  for (size_t i = 0; i < data.requests.size(); ++i) sink->write(data.requests[i], data.hashes[i], data.model(i));
  sink->close();
}

// Arrival times, lengths and block hashes all equal, request by request.
bool same_requests(const ReadBack& x, const ReadBack& y) {
  bool same = x.requests.size() == y.requests.size();
  for (size_t i = 0; same && i < x.requests.size(); ++i) {
    const auto& a = x.requests[i];
    const auto& b = y.requests[i];
    same = a.arrival_ns == b.arrival_ns && a.input_tokens == b.input_tokens && a.output_tokens == b.output_tokens &&
           x.hashes[i] == y.hashes[i];
  }
  return same;
}

}  // namespace

TEST_CASE("traces: the Mooncake conversation trace reads as 12,031 requests with its published means and hit ratio") {
  auto source = open_trace(sample("mooncake_conversation_trace.jsonl.gz"));
  TraceStats stats = stats_of(*source);
  CHECK(stats.requests() == 12031);
  CHECK(static_cast<double>(stats.input_tokens()) / stats.requests() == Approx(12035).margin(0.5));
  CHECK(static_cast<double>(stats.output_tokens()) / stats.requests() == Approx(343).margin(0.5));
  REQUIRE(stats.prefix_hit_ratio().has_value());
  CHECK(*stats.prefix_hit_ratio() == Approx(0.366).margin(0.002));
  CHECK(stats.input_lengths().percentile(50) == 6909);
  CHECK(stats.input_lengths().max() == 126195);
  CHECK(stats.output_lengths().max() == 2000);
  CHECK(source->counters().lines == 12031);
}

TEST_CASE("traces: the Azure conversation and code traces read with their published counts and means") {
  auto conv = open_trace(sample("AzureLLMInferenceTrace_conv.csv"));
  TraceStats c = stats_of(*conv);
  CHECK(c.requests() == 19366);
  CHECK(static_cast<double>(c.input_tokens()) / c.requests() == Approx(1155).margin(0.5));
  CHECK(static_cast<double>(c.output_tokens()) / c.requests() == Approx(211).margin(0.5));
  CHECK_FALSE(c.prefix_hit_ratio().has_value());
  auto code = open_trace(sample("AzureLLMInferenceTrace_code.csv"));
  TraceStats k = stats_of(*code);
  CHECK(k.requests() == 8819);
  CHECK(static_cast<double>(k.input_tokens()) / k.requests() == Approx(2048).margin(0.5));
  CHECK(static_cast<double>(k.output_tokens()) / k.requests() == Approx(28).margin(0.5));
}

TEST_CASE("traces: Azure arrival times count from the first request with 100 ns resolution") {
  auto all = read_all(*open_trace(sample("AzureLLMInferenceTrace_conv.csv")));
  REQUIRE(all.requests.size() == 19366);
  CHECK(all.requests[0].arrival_ns == 0);
  // 18:15:46.6805900 then 18:15:50.9951690
  CHECK(all.requests[1].arrival_ns == 4'314'579'000);
  // last 19:14:08.4025270
  CHECK(all.requests.back().arrival_ns == (58 * 60 + 21) * 1'000'000'000LL + 721'937'000);
  CHECK(all.requests[5].session == 5);  // formats without sessions number requests
}

TEST_CASE("traces: Mooncake to native to Mooncake is lossless, plain, gzip and zstd alike") {
  TempDir dir;
  auto original = read_all(*open_trace(sample("mooncake_conversation_trace.jsonl.gz")));
  for (std::string name : {"mc.trace.csv", "mc.trace.csv.gz", "mc.trace.csv.zst"}) {
    write_all(original, dir.path(name), "native");
    CHECK(detect_format(dir.path(name)) == "native");
    auto native = read_all(*open_trace(dir.path(name)));
    write_all(native, dir.path(name + ".jsonl"), "mooncake");
    auto back = read_all(*open_trace(dir.path(name + ".jsonl")));
    REQUIRE(back.requests.size() == original.requests.size());
    CHECK(same_requests(original, back));
  }
}

TEST_CASE("traces: a reader with a 64-byte first buffer reads what the default one does, plain, gzip and zstd alike") {
  TempDir dir;
  auto original = read_all(*open_trace(sample("mooncake_conversation_trace.jsonl.gz")));
  ReadOptions small;
  small.buffer_bytes = 64;  // every Mooncake line is longer: the buffer grows, and the decoders read in small steps
  for (std::string name : {"mc.jsonl", "mc.jsonl.gz", "mc.jsonl.zst"}) {
    write_all(original, dir.path(name), "mooncake");
    CHECK(detect_format(dir.path(name), 64) == "mooncake");
    auto back = read_all(*open_trace(dir.path(name), "auto", small));
    REQUIRE(back.requests.size() == original.requests.size());
    CHECK(same_requests(original, back));
  }
}

TEST_CASE("traces: Azure to native to Azure keeps relative arrival times and lengths") {
  TempDir dir;
  auto original = read_all(*open_trace(sample("AzureLLMInferenceTrace_code.csv")));
  write_all(original, dir.path("code.trace.csv.zst"), "native");
  write_all(read_all(*open_trace(dir.path("code.trace.csv.zst"))), dir.path("code.csv"), "azure");
  auto back = read_all(*open_trace(dir.path("code.csv")));
  REQUIRE(back.requests.size() == 8819);
  bool same = true;
  for (size_t i = 0; i < back.requests.size(); ++i) {
    same = same && back.requests[i].arrival_ns == original.requests[i].arrival_ns &&
           back.requests[i].input_tokens == original.requests[i].input_tokens &&
           back.requests[i].output_tokens == original.requests[i].output_tokens;
  }
  CHECK(same);
}

TEST_CASE("traces: the native format keeps cached tokens, model and session") {
  TempDir dir;
  Request a{.arrival_ns = 5, .input_tokens = 1000, .cached_tokens = 512, .output_tokens = 20, .session = 77};
  Request b{.arrival_ns = 9, .input_tokens = 600, .cached_tokens = 0, .output_tokens = 1, .session = 1ULL << 63};
  std::vector<uint64_t> hashes = {3, 18446744073709551615ULL};
  auto sink = open_trace_writer(dir.path("x.trace.csv"), "auto");
  sink->write(a, {}, "deepseek-r1");
  sink->write(b, hashes, "kimi-k2");
  sink->close();
  auto back = read_all(*open_trace(dir.path("x.trace.csv")));
  REQUIRE(back.requests.size() == 2);
  CHECK(back.requests[0].cached_tokens == 512);
  CHECK(back.model(0) == "deepseek-r1");
  CHECK(back.model(1) == "kimi-k2");
  CHECK(back.requests[0].session == 77);
  CHECK(back.hashes[0].empty());
  CHECK(back.requests[1].session == (1ULL << 63));
  CHECK(back.hashes[1] == hashes);
}

TEST_CASE("traces: the format is detected from the first line") {
  CHECK(detect_format(sample("mooncake_conversation_trace.jsonl.gz")) == "mooncake");
  CHECK(detect_format(sample("AzureLLMInferenceTrace_conv.csv")) == "azure");
  TempDir dir;
  CHECK(detect_format(dir.write("x.txt", "hello\n")) == std::nullopt);
}

TEST_CASE("traces: a model column is a name, a run reads only its model's names, without case, and refuses others") {
  TempDir dir;
  auto path = dir.write("models.trace", kNativeHeader +
                                            "0,10,0,5,deepseek-v3,0,\n1,10,0,5,DeepSeek-R1,1,\n2,10,0,5,R1,2,\n"
                                            "3,10,0,5,kimi-k2,3,\n");
  // Any name (trace stats and convert without --model): each new name is added in order of appearance.
  auto any = read_all(*open_trace(path));
  CHECK(any.models == std::vector<std::string>{"deepseek-v3", "deepseek-r1", "r1", "kimi-k2"});
  CHECK(any.model(3) == "kimi-k2");
  // A run of deepseek-v3 accepts its name and aliases and names the line of another model's request.
  ReadOptions v3;
  v3.models = {"deepseek-v3", "deepseek-r1", "v3", "r1"};
  auto source = open_trace(path, "auto", v3);
  Request r;
  for (int i = 0; i < 3; ++i) REQUIRE(source->next(r));
  CHECK(source->models()[r.model] == "r1");
  CHECK_THROWS_WITH(source->next(r), path.string() +
                                         ":6: model: 'kimi-k2' is not served in this run (names accepted: "
                                         "deepseek-v3, deepseek-r1, v3, r1)");
  // Skipping bad lines counts it instead.
  v3.skip_bad = true;
  auto skipping = open_trace(path, "auto", v3);
  CHECK(read_all(*skipping).requests.size() == 3);
  CHECK(skipping->counters().skipped_bad == 1);
  // A malformed name is a bad line even when any name is accepted.
  auto odd = dir.write("odd.trace", kNativeHeader + "0,10,0,5,deep seek,0,\n");
  CHECK_THROWS_WITH(read_all(*open_trace(odd)), Contains(":3: model: expected a name (letters, digits, '.', '_', "
                                                         "'-'), got 'deep seek'"));
}

TEST_CASE("traces: formats without a model column give every request the run's default model") {
  ReadOptions options;
  options.default_model = "kimi-k2";
  options.models = {"kimi-k2", "kimi-k2-instruct"};
  auto back = read_all(*open_trace(sample("AzureLLMInferenceTrace_conv.csv"), "auto", options));
  CHECK(back.model(0) == "kimi-k2");
  CHECK(back.model(back.requests.size() - 1) == "kimi-k2");
}
