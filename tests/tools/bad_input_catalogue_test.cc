// The catalogue of bad inputs (docs/errors.md): each row runs the real moesim binary on one bad input, in a scratch
// folder, and checks the exit status and the exact message; and docs/errors.md must list that message with that
// status, so that the page and the program cannot drift apart. Rows that break a hardware spec, a kernel table or the
// model file run with MOESIM_DATA_DIR pointing at a scratch copy of hardware/ and models/llm/ with the change made.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/command.h"

namespace {

namespace fs = std::filesystem;

struct File {
  std::string name;
  std::string text;
};

// In the data copy: the first occurrence of `from` in `file` (relative to the data folder) becomes `to`.
struct Patch {
  std::string file;
  std::string from;
  std::string to;
};

struct BadInput {
  std::string kind;  ///< the file kind or command, as docs/errors.md groups them
  std::vector<File> files;
  std::vector<Patch> patches;  ///< non-empty: run on a patched copy of the data files
  std::string args;            ///< moesim's arguments, run in the scratch folder
  int status;
  std::string message;  ///< the line moesim prints (InputErrors after "error: ")
};

std::string nested(const std::string& open, const std::string& inner, const std::string& close, int depth) {
  std::string out;
  out.reserve(depth * (open.size() + close.size()) + inner.size());
  for (int i = 0; i < depth; ++i) out += open;
  out += inner;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

const std::string kNative =
    "#moesim-trace v1\narrival_ns,input_tokens,cached_tokens,output_tokens,model,session,block_hashes\n";
const std::string kAzure = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
const std::string kStep = "step --phase decode --ep 144 --batch-per-gpu 8 --kv-len 1000";
const std::string kEplb = "eplb --weights w.json --replicas 8 --groups 2 --nodes 2 --gpus 4";
// A scenario that starts quickly (a constant rate, a few seconds) for rows that get as far as running.
const std::string kQuick = R"("horizon_s": 5, "workload": {"kind": "constant", "rate_per_s": 10})";
const std::string kSchedule = R"({"horizon_s": 5, "workload": {"kind": "constant", "rate_per_s": 10},
  "autoscaler": {"policy": "fixed", "schedule": "nodes.csv"}})";

std::vector<BadInput> catalogue() {
  const std::string deep_path = "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a...";
  // A table: one row a case, kept compact (clang-format would put each field on a line of its own).
  // clang-format off
  return {
      // ---- scenario files, extends and --set ----
      {"scenario", {{"s.json", nested("{\"a\": ", "1", "}", 300'000)}}, {}, "run s.json", 2,
       "s.json: " + deep_path + ": nested deeper than 64 levels (the limit for moesim's JSON)"},
      {"scenario", {{"s.json", R"({"seed": 1, "seed": 2})"}}, {}, "run s.json", 2,
       "s.json: seed: duplicate key \"seed\" (a key may appear once in an object)"},
      {"scenario", {{"s.json", R"({"fleet": {"decode": {"units": 1, "units": 2}}})"}}, {}, "run s.json", 2,
       "s.json: fleet.decode.units: duplicate key \"units\" (a key may appear once in an object)"},
      {"scenario", {{"s.json", R"({"horizon_s": 1e999})"}}, {}, "run s.json", 2,
       "s.json:1:19: invalid JSON: number overflow parsing '1e999'"},
      {"scenario", {{"s.json", "{\"seed\": 1,}"}}, {}, "run s.json", 2,
       "s.json:1:12: invalid JSON: syntax error while parsing object key - unexpected '}'; expected string literal"},
      {"scenario", {{"s.json", R"({"horizn_s": 60})"}}, {}, "run s.json", 2, "s.json: horizn_s: unknown key"},
      {"scenario", {{"s.json", R"({"seed": "one"})"}}, {}, "run s.json", 2,
       "s.json: seed: expected a non-negative integer, got \"one\""},
      {"scenario", {{"s.json", R"({"horizon_s": 1e12})"}}, {}, "run s.json", 2,
       "s.json: horizon_s: expected a positive number of seconds up to 2592000 (30 days), got 1000000000000.0"},
      {"scenario", {{"s.json", R"({"workload": {"kind": "constant", "rate_per_s": 1e9}})"}}, {}, "run s.json", 2,
       "s.json: workload.rate_per_s: expected a number of requests/s in [0, 1e7], got 1000000000.0"},
      {"scenario", {{"a.json", R"({"extends": "b.json"})"}, {"b.json", R"({"extends": "a.json"})"}}, {}, "run a.json",
       2, "a.json: extends: cycle through this file"},
      {"scenario", {{"s.json", R"({"extends": "absent.json"})"}}, {}, "run s.json", 2, "absent.json: cannot open file"},
      {"scenario", {{"s.json", "{" + kQuick + "}"}}, {}, R"(run s.json --set 'fleet={"router": "a", "router": "b"}')",
       2, "--set fleet={\"router\": \"a\", \"router\": \"b\"}: router: duplicate key \"router\" (a key may appear once "
          "in an object)"},
      {"scenario", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --set horizon_s.x=1", 2,
       "--set horizon_s.x=1: horizon_s is not an object"},
      {"scenario", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --set horizon_s=nan", 2,
       "s.json: horizon_s: expected a positive number of seconds up to 2592000 (30 days), got \"nan\""},
      {"scenario", {{"s.json", R"({"workload": {"kind": "trace", "file": "absent.csv"}})"}}, {}, "run s.json", 2,
       "absent.csv: cannot open: No such file or directory"},
      {"scenario", {}, {}, "run absent.json", 2, "scenario: File does not exist: absent.json"},
      {"scenario", {{"s.json", R"({"experts": {"skew": "lognormal:1e300"}})"}}, {}, "run s.json", 2,
       "s.json: experts.skew: skew: lognormal sigma must be a number in [0, 100], got '1e300'"},

      // ---- traces ----
      {"trace (native)", {{"t.csv", "hello\n"}}, {}, "trace stats t.csv --format native", 2,
       "t.csv:1: not a native moesim trace: the first line must be '#moesim-trace v1'"},
      {"trace (native)", {{"t.csv", kNative + "abc,100,0,10,V3,0,\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:3: arrival_ns: expected an integer, got 'abc'"},
      {"trace (native)", {{"t.csv", kNative + "99999999999999999999,100,0,10,V3,0,\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:3: arrival_ns: '99999999999999999999' is out of range"},
      {"trace (native)", {{"t.csv", kNative + "0,3000000000,0,10,V3,0,\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:3: input_tokens: expected a positive token count, got 3000000000"},
      {"trace (native)", {{"t.csv", kNative + "0,100,101,10,V3,0,\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:3: cached_tokens: 101 is not between 0 and input_tokens (100)"},
      {"trace (native)", {{"t.csv", kNative + "500,100,0,10,V3,0,\n499,100,0,10,V3,1,\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:4: timestamp out of order: 0.000000 s is earlier than the previous request's 0.000001 s (traces must be "
       "sorted by arrival time)"},
      {"trace (Mooncake)", {{"t.jsonl", R"({"timestamp": 1e999, "input_length": 4, "output_length": 5})"}}, {},
       "trace stats t.jsonl", 2, "t.jsonl:1: invalid JSON at column 19: number overflow parsing '1e999'"},
      {"trace (Mooncake)", {{"t.jsonl", R"({"timestamp": NaN, "input_length": 4, "output_length": 5})"}}, {},
       "trace stats t.jsonl", 2,
       "t.jsonl:1: invalid JSON at column 15: syntax error while parsing value - invalid literal; last read: '\"timestamp\": N'"},
      {"trace (Mooncake)",
       {{"t.jsonl", R"({"timestamp": 0, "input_length": 4, "output_length": 5, "input_length": 6})"}},
       {},
       "trace stats t.jsonl",
       2,
       "t.jsonl:1: duplicate key \"input_length\""},
      {"trace (Mooncake)", {{"t.jsonl", R"({"timestamp": 0, "input_length": 4, "output_length": -5})"}}, {},
       "trace stats t.jsonl", 2, "t.jsonl:1: output_length: expected a positive token count, got -5"},
      {"trace (Azure)", {{"t.csv", kAzure + "2023-13-16 18:15:46.6805900,374,44\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:2: TIMESTAMP: expected 'YYYY-MM-DD HH:MM:SS.fffffff', got '2023-13-16 18:15:46.6805900'"},
      {"trace (Azure)", {{"t.csv", kAzure + "2023-11-16 18:15:46.6805900,37x4,44\n"}}, {}, "trace stats t.csv", 2,
       "t.csv:2: ContextTokens: expected an integer, got '37x4'"},
      {"trace (.gz)", {{"t.csv.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", 17)}}, {},
       "trace stats t.csv.gz", 2, "t.csv.gz: cannot read (corrupt gzip stream?): t.csv.gz: invalid block type"},
      {"trace (.zst)", {{"t.csv.zst", "\x28\xb5\x2f\xfd"}}, {}, "trace stats t.csv.zst", 2,
       "t.csv.zst: truncated zstd stream"},
      {"trace (native)", {{"t.csv", kNative + "0,100,0,10,kimi-k2,0,\n"}}, {}, "trace stats t.csv --model deepseek-r1",
       2, "t.csv:3: model: 'kimi-k2' is not served in this run (names accepted: deepseek-r1, deepseek-v3, v3, r1)"},

      // ---- hardware specs, kernel tables, the model file (a patched copy of the data files) ----
      {"hardware spec", {}, {{"hardware/specs/h800.json", "\"gpu\": {", "\"gpu\": {\"sms\": 1, "}}, kStep, 2,
       "data/hardware/specs/h800.json: gpu.sms: duplicate key \"sms\" (a key may appear once in an object)"},
      {"hardware spec", {}, {{"hardware/specs/h800.json", "\"value\": 50e9", "\"value\": -50e9"}}, kStep, 2,
       "data/hardware/specs/h800.json: node.nic_bytes_per_s.value: expected a positive number, got -50000000000.0"},
      {"hardware spec", {}, {{"hardware/specs/h800.json", "\"value\": 132", "\"value\": 1e999"}}, kStep, 2,
       "data/hardware/specs/h800.json:8:26: invalid JSON: number overflow parsing '1e999'"},
      {"kernel table", {}, {{"hardware/tables/h800-deepgemm.json", "\"tflops\": 352", "\"tflops\": 35200"}}, kStep, 2,
       "data/hardware/tables/h800-deepgemm.json: dense[6]: series not monotonic"},
      {"kernel table", {}, {{"hardware/tables/h800-deepgemm.json", "\"tflops\": 352", "\"tflops\": 352, \"tflops\": 1"}},
       kStep, 2,
       "data/hardware/tables/h800-deepgemm.json: dense[6].tflops: duplicate key \"tflops\" (a key may appear once in "
       "an object)"},
      {"model file", {}, {{"models/llm/deepseek-v3.json", "\"layers\": {", "\"layers\": 62, \"layers\": {"}}, kStep,
       2, "data/models/llm/deepseek-v3.json: layers: duplicate key \"layers\" (a key may appear once in an object)"},
      {"model file", {}, {{"models/llm/deepseek-v3.json", "\"kind\": \"mla\"", "\"kind\": \"rwkv\""}}, kStep, 2, "data/models/llm/deepseek-v3.json: attention.kind: expected one of mla, gqa, got \"rwkv\""},
      {"model file", {}, {{"models/llm/deepseek-v3.json", "\"experts_per_token\": {\"value\": 8", "\"experts_per_token\": {\"value\": 300"}}, kStep, 2, "data/models/llm/deepseek-v3.json: ffn.experts_per_token: 300 experts per token, but only 256 routed experts"},

      // ---- measured microbenchmark files ----
      {"measured file", {{"m.json", R"({"kind": "measurement", "kind": "sample"})"}}, {}, "calibrate m.json", 2,
       "m.json: kind: duplicate key \"kind\" (a key may appear once in an object)"},
      {"measured file", {{"m.json", R"({"kind": "measurement", "device": {"name": "H800", "sms": -1}, "points": []})"}},
       {}, "calibrate m.json", 2, "m.json: device.sms: expected a positive integer, got -1"},
      {"measured file", {}, {}, "calibrate absent.json", 2, "absent.json: cannot open file"},

      // ---- EPLB weights ----
      {"EPLB weights", {{"w.json", "[[1, 2, 3, -4]]"}}, {}, kEplb, 2,
       "w.json: [0][3]: expected a non-negative number, got -4"},
      {"EPLB weights", {{"w.json", "[[1, 2, 3, 4], [1, 2]]"}}, {}, kEplb, 2,
       "w.json: [1]: expected 4 loads like row [0], got 2 (rows must be of equal length)"},
      {"EPLB weights", {{"w.json", "[[1, 2, 3, 1e999]]"}}, {}, kEplb, 2,
       "w.json:1:16: invalid JSON: number overflow parsing '1e999'"},
      {"EPLB weights", {{"w.json", nested("[", "1", "]", 200'000)}}, {}, kEplb, 2,
       "w.json: [0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0...: nested deeper than "
       "64 levels (the limit for moesim's JSON)"},

      // ---- node schedule CSV (the fixed autoscaler policy) ----
      {"node schedule", {{"s.json", kSchedule}, {"nodes.csv", "start,end,nodes\nnan,60,4\n"}}, {}, "run s.json", 2,
       "nodes.csv:2: not a time: \"nan\" (seconds must be finite, at most 1e10)"},
      {"node schedule", {{"s.json", kSchedule}, {"nodes.csv", "start,end,nodes\n0,60,4x\n"}}, {}, "run s.json", 2,
       "nodes.csv:2: nodes: expected an integer in [1, 1000000], got \"4x\""},
      {"node schedule", {{"s.json", kSchedule}, {"nodes.csv", "start,end,nodes\n60,120,4\n0,60,4\n"}}, {},
       "run s.json", 2, "nodes.csv:3: rows out of order"},

      // ---- command-line options ----
      {"step", {}, {}, "step --phase decode --ep 144 --batch-per-gpu 8 --kv-len nan", 2,
       "--kv-len: expected a number in [0, 100000000], got nan"},
      {"step", {}, {}, "step --phase decode --ep 144 --batch-per-gpu nan --kv-len 1000", 2,
       "--batch-per-gpu: expected a number in [0, 100000000], got nan"},
      {"step", {}, {}, "step --phase decode --ep 144 --batch-per-gpu 8 --kv-len 1e999", 2,
       "--kv-len: expected a number in [0, 100000000], got 1e999"},
      {"step", {}, {}, "step --phase decode --ep 144 --batch-per-gpu 0 --kv-len 1000", 2,
       "--batch-per-gpu and --kv-len: decode needs both, positive"},
      {"step", {}, {}, "step --phase decode --ep 7 --batch-per-gpu 8 --kv-len 1000", 2,
       "--ep: expected a positive multiple of 8 up to 8000, got 7"},
      {"step", {}, {}, "step --phase decode --ep 144 --batch-per-gpu 800 --kv-len 100000", 2,
       "--batch-per-gpu x --kv-len: a decode unit of EP144 on h800 needs 5646.7 GB per GPU (weights 24.5, activations "
       "0.5, KV 5621.8) of the 79.0 GB it may use (93 % of 84.9 GB HBM)"},
      {"step", {}, {}, "step --phase decode --ep 144 --batch-per-gpu 8 --kv-len 1000 --expert-skew zipf:inf", 2,
       "--expert-skew: zipf alpha must be a number in [0, 100], got 'inf'"},
      {"pipeline", {}, {}, "pipeline --phase decode --ep 144 --batch-per-gpu 8 --kv-len 1000 --layers 2", 2,
       "--layers: expected a number in [4, 1000], got 2"},
      {"run", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --scale 200", 2,
       "--scale: expected a number in (0, 100], got 200"},
      {"run", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --drain-s inf", 2,
       "--drain-s: expected a number in [0, 2592000], got inf"},
      {"run", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --max-in-flight -1", 2,
       "--max-in-flight: expected a non-negative number, got -1"},
      {"run", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --seed nan", 2,
       "--seed: expected a non-negative number, got nan"},
      {"eplb", {{"w.json", "[[1, 2, 3, 4]]"}}, {}, "eplb --weights w.json --replicas 0 --groups 2 --nodes 2 --gpus 4",
       2, "--replicas: expected a number in [1, 1048576], got 0"},
      {"eplb", {}, {}, "eplb --replicas 8", 2,
       "moesim eplb: --weights FILE.json is required (with --replicas, --groups, --nodes, --gpus)"},
      {"trace", {}, {}, "trace gen --profile deepseek-day --scale nan", 2,
       "--scale: expected a number in [0, 100], got nan"},
      {"trace", {{"t.csv", kNative + "0,100,0,10,V3,0,\n"}}, {}, "trace stats t.csv --cache-blocks 0", 2,
       "--cache-blocks: expected a number in [1, 1000000000000], got 0"},
      {"trace", {{"t.csv", kNative + "0,100,0,10,V3,0,\n"}}, {}, "trace convert t.csv u.csv.zst --zstd-level 99", 2,
       "--zstd-level: expected a number in [1, 22], got 99"},
      {"calibrate", {{"m.json", "[]"}}, {}, "calibrate m.json --hardware tpu9", 2,
       "m.json: (root): expected an object, got an array"},
      {"fit", {}, {}, "fit --hardware tpu9", 2, "unknown hardware \"tpu9\" (known: b200, gb200-nvl72, h100, h20, h200, h800)"},

      // ---- compare: every variant is checked before any run ----
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {}, "compare s.json --variant x:fleet.decode.balancr=round-robin --out o",
       2, "--variant x: s.json: fleet.decode.balancr: unknown key"},
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {}, "compare s.json --variant x:experts.replan_interval_s=soon --out o",
       2, "--variant x: s.json: experts.replan_interval_s: expected a positive number of seconds up to 2592000 (30 days), got \"soon\""},
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {}, "compare s.json --variant x:fleet.decode.balancer=fastest --out o",
       2, "--variant x: s.json: fleet.decode.balancer: expected one of round-robin, least-requests, least-kv, published, oracle, got \"fastest\""},
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {},
       "compare s.json --variant a:fleet.decode.balancer=round-robin --variant a:fleet.decode.balancer=least-kv --out o",
       2, "--variant a: the name is given twice"},
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {}, "compare s.json --variant a:fleet.decode.balancer=round-robin --seeds 0 --out o",
       2, "--seeds 0: a comparison needs 1 to 100000 seeds (2 or more for an interval)"},
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {}, "compare s.json --variant rr --out o",
       2, "--variant rr: expected NAME:key.path=value[,key.path=value...]"},
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {}, "compare s.json --variant x:seed=3 --out o",
       2, "--variant x: the seeds come from --seeds, not a variant"},
      // Found by fuzz/fuzz_compare_variant.cc: a name no file can have (a component over 255 bytes) made the
      // hardware lookup throw std::filesystem's error, an internal error (fuzz/regressions/compare_variant/).
      {"compare", {{"s.json", "{" + kQuick + "}"}}, {},
       "compare s.json --variant x:hardware=" + std::string(256, 'h') + " --out o", 2,
       "--variant x: s.json: hardware: unknown hardware \"" + std::string(256, 'h') + "\" (known: b200, gb200-nvl72, h100, h20, h200, h800)"},

      {"run", {{"s.json", "{" + kQuick + R"(, "fleet": {"decode": {"nodes_per_unit": 1, "redundant_experts": 0}}})"}}, {},
       "run s.json --out o", 2,
       "fleet.decode: a decode unit of EP8 on h800 needs 111.7 GB per GPU (weights 102.5, activations 0.0, KV 9.2) of the 79.0 GB it may use (93 % of 84.9 GB HBM)"},
      // Checked before the run (issue 28): an output path that cannot be written was an internal error at the end.
      {"run", {{"s.json", "{" + kQuick + "}"}, {"o", "x"}}, {}, "run s.json --out o", 2,
       "--out o: is a file, not a folder (give a folder for the outputs)"},
      {"run", {{"s.json", "{" + kQuick + "}"}}, {}, "run s.json --out o --request-log .", 2,
       "--request-log .: is a folder, not a file"},
      {"run", {{"s.json", "{" + kQuick + R"(, "fleet": {"prefill": {"hardware": "tpu"}}})"}}, {}, "run s.json --out o", 2,
       "s.json: fleet.prefill.hardware: unknown hardware \"tpu\" (known: b200, gb200-nvl72, h100, h20, h200, h800)"},
      {"run",
       {{"s.json", "{" + kQuick +
                       R"(, "hardware": "h200", "fleet": {"prefill": {"hardware": "h20", "nodes_per_unit": 1, "redundant_experts": 0}}})"}},
       {},
       "run s.json --out o",
       2,
       "fleet.prefill: a prefill unit of EP8 on h20 needs 108.1 GB per GPU (weights 102.5, activations 4.5, KV 1.2) of the 95.4 GB it may use (93 % of 102.6 GB HBM)"},

      // ---- a run that passes a limit: exit 5, partial results ----
      {"run limits", {{"s.json", R"({"horizon_s": 60, "workload": {"kind": "constant", "rate_per_s": 100}})"}}, {},
       "run s.json --out o --max-in-flight 10", 5, "in-flight limit: 959 requests in flight (limit 10)"},
  };
  // clang-format on
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replace_first(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = slurp(file);
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  std::ofstream(file) << text;
}

// The row as docs/errors.md lists it (MOESIM_PRINT_CATALOGUE=1 prints them, for adding rows to the page).
std::string markdown_row(int index, const BadInput& row) {
  auto cut = [](std::string text) {
    for (auto& ch : text) {
      if (ch == '\n') ch = ' ';
      if (ch == '|') ch = '/';
    }
    return text.size() > 70 ? text.substr(0, 67) + "..." : text;
  };
  std::string input;
  for (const File& f : row.files) {
    bool binary = std::any_of(f.text.begin(), f.text.end(), [](char ch) {
      auto byte = static_cast<unsigned char>(ch);
      return (byte < 32 && ch != '\n') || byte >= 127;
    });
    input += fmt::format("{}{}: {}", input.empty() ? "" : "; ", f.name,
                         binary ? std::string("(binary)") : fmt::format("`{}`", cut(f.text)));
  }
  for (const Patch& p : row.patches) {
    input += fmt::format("{}{}: `{}` → `{}`", input.empty() ? "" : "; ", p.file, p.from, p.to);
  }
  return fmt::format("| {} | {} | {} | `moesim {}` | {} | `{}` |", index, row.kind, input.empty() ? "—" : input,
                     row.args, row.status, row.message);
}

// Runs the rows of one kind (all kinds when `kind` is empty); returns how many ran.
int check(const std::string& kind) {
  const std::string doc = slurp(fs::path(MOESIM_SOURCE_DIR) / "docs/errors.md");
  REQUIRE(!doc.empty());
  int ran = 0;
  int index = 0;
  for (const BadInput& row : catalogue()) {
    ++index;
    if (!kind.empty() && row.kind != kind) continue;
    ++ran;
    auto dir = fs::temp_directory_path() / fmt::format("moesim-catalogue-{}-{}", getpid(), index);
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const File& f : row.files) std::ofstream(dir / f.name, std::ios::binary) << f.text;
    std::string env;
    if (!row.patches.empty()) {
      const fs::path source(MOESIM_SOURCE_DIR);
      for (const char* folder : {"hardware/specs", "hardware/tables", "models/llm"}) {
        fs::create_directories(dir / "data" / folder);
        fs::copy(source / folder, dir / "data" / folder);
      }
      for (const Patch& p : row.patches) replace_first(dir / "data" / p.file, p.from, p.to);
      env = "MOESIM_DATA_DIR=data ";
    }
    if (std::getenv("MOESIM_PRINT_CATALOGUE") != nullptr) std::printf("%s\n", markdown_row(index, row).c_str());
    auto r = moesim::test::run_shell(fmt::format("cd {} && {}{} {} 2>&1", dir.string(), env, MOESIM_BINARY, row.args));
    INFO("row " << index << " (" << row.kind << "): moesim " << row.args << "\n" << r.output.substr(0, 2000));
    CHECK(r.status == row.status);
    CHECK_THAT(r.output, Catch::Contains(row.message));
    // The page lists the same message with the same status, on one table row.
    const std::string quoted = "`" + row.message + "`";
    auto at = doc.find(quoted);
    CHECK(at != std::string::npos);
    if (at != std::string::npos) {
      auto line_start = doc.rfind('\n', at) + 1;
      auto line = doc.substr(line_start, doc.find('\n', at) - line_start);
      CHECK_THAT(line, Catch::Contains(fmt::format("| {} |", row.status)));
    }
    fs::remove_all(dir);
  }
  return ran;
}

}  // namespace

TEST_CASE("bad inputs: the catalogue has at least 30 rows across every file kind and command") {
  auto rows = catalogue();
  CHECK(rows.size() >= 30);
  std::set<std::string> kinds;
  for (const auto& r : rows) kinds.insert(r.kind);
  for (const char* kind : {"scenario",      "trace (native)", "trace (Mooncake)",
                           "trace (Azure)", "trace (.gz)",    "trace (.zst)",
                           "hardware spec", "kernel table",   "model file",
                           "measured file", "EPLB weights",   "node schedule",
                           "step",          "pipeline",       "run",
                           "eplb",          "trace",          "calibrate",
                           "fit",           "compare",        "run limits"}) {
    CHECK(kinds.count(kind) == 1);
  }
}

TEST_CASE("bad inputs: scenario files, extends and --set") { CHECK(check("scenario") > 0); }

TEST_CASE("bad inputs: trace files (native, Mooncake, Azure, compressed)") {
  for (const char* kind : {"trace (native)", "trace (Mooncake)", "trace (Azure)", "trace (.gz)", "trace (.zst)"}) {
    CHECK(check(kind) > 0);
  }
}

TEST_CASE("bad inputs: hardware specs, kernel tables, the model file, measured files, EPLB weights, node schedules") {
  for (const char* kind :
       {"hardware spec", "kernel table", "model file", "measured file", "EPLB weights", "node schedule"}) {
    CHECK(check(kind) > 0);
  }
}

TEST_CASE("bad inputs: command-line options of every command, and a run past its limit") {
  for (const char* kind : {"step", "pipeline", "run", "eplb", "trace", "calibrate", "fit", "compare", "run limits"}) {
    CHECK(check(kind) > 0);
  }
}
