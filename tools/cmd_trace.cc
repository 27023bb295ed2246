// moesim trace: generate, inspect and convert request traces.
//
//   moesim trace gen --profile deepseek-day --scale 0.01 --seed 1 --out day.trace.csv.zst
//   moesim trace stats traces/samples/mooncake_conversation_trace.jsonl.gz --cache-blocks 10000 --json
//   moesim trace convert traces/samples/AzureLLMInferenceTrace_conv.csv conv.trace.csv
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/paths.h"
#include "models/llm/model.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "traces/day_check.h"
#include "traces/day_generator.h"
#include "traces/format_registry.h"
#include "traces/sink.h"
#include "traces/source.h"
#include "traces/trace_stats.h"

namespace moesim::tools {

namespace {

using namespace moesim::traces;
using nlohmann::json;

// A --format, --from or --to value: "auto" or a registered format (traces/format_registry.h).
const std::string& format_option(const std::string& text, const char* option) {
  trace_formats().check(text, option);
  return text;
}

// --model: the model a trace is for (a registered name, an alias or a model file). Requests naming another model are
// bad lines, and formats without a model column take the name as given. Without it any name is read, and those
// formats say deepseek-v3.
constexpr const char* kTraceModelHelp =
    "the model the trace is for (a name, alias or model file): other models' requests are bad lines, and formats "
    "without a model column take it (default: any name; deepseek-v3 where the format does not say)";

ReadOptions read_options(const std::string& model, bool skip_bad) {
  ReadOptions read;
  read.skip_bad = skip_bad;
  if (model.empty()) return read;
  const llm::ModelSpec spec = llm::load_model(model);
  read.models = spec.served_names();
  read.default_model = llm::canonical_model_name(model).empty() ? spec.name : model;
  return read;
}

void warn_skipped(const SourceCounters& counters) {
  if (counters.skipped_bad == 0) return;
  for (const auto& message : counters.first_bad) fmt::print(stderr, "warning: skipped {}\n", message);
  if (counters.skipped_bad > static_cast<int64_t>(counters.first_bad.size())) {
    fmt::print(stderr, "warning: ... {} bad lines skipped in all\n", counters.skipped_bad);
  }
}

void run_gen(const std::string& profile_name, double scale, uint64_t seed, const std::string& out,
             const std::string& format, int zstd_level, bool as_json, bool check, const std::string& model) {
  DayProfile profile = load_day_profile(profile_name);
  DayGenerator day(profile, {.scale = scale, .seed = seed}, read_options(model, false).models);
  std::unique_ptr<RequestSink> sink;
  if (!out.empty()) {
    WriteOptions options;
    options.zstd_level = zstd_level;
    options.comments = {fmt::format("moesim trace gen --profile {} --scale {} --seed {}{}", profile.name, scale, seed,
                                    model.empty() ? "" : " --model " + model),
                        "arrival_ns counts from the day's first hour; cached_tokens come from the generator"};
    sink = open_trace_writer(out, format_option(format, "--format"), options);
  }
  TraceStats stats;
  const bool progress = isatty(fileno(stderr)) != 0;
  for (Request r; day.next(r);) {
    stats.add(r, {});
    if (sink) sink->write(r, {}, day.models()[r.model]);
    if (progress && stats.requests() % 10'000'000 == 0) {
      fmt::print(stderr, "\r{:.0f} M of about {:.0f} M requests", stats.requests() / 1e6,
                 day.expected_requests() / 1e6);
    }
  }
  if (progress && stats.requests() >= 10'000'000) fmt::print(stderr, "\n");
  if (sink) sink->close();

  const DaySolution& s = day.solution();
  auto checks = check_day_targets(profile, scale, stats);
  bool all_ok = true;
  for (const auto& c : checks) all_ok = all_ok && c.ok();
  if (as_json) {
    json j;
    j["profile"] = profile.name;
    j["scale"] = scale;
    j["seed"] = seed;
    j["out"] = out.empty() ? json(nullptr) : json(out);
    json classes = json::array();
    for (size_t c = 0; c < profile.classes.size(); ++c) {
      const auto& rc = profile.classes[c];
      const auto& cs = s.classes[c];
      classes.push_back(json{{"name", rc.name},
                             {"model", day.class_model(c)},
                             {"request_share", rc.request_share},
                             {"input_mean", cs.input_mean},
                             {"input_median", std::exp(cs.input_mu)},
                             {"input_sigma", rc.input.sigma},
                             {"output_mean", cs.output_mean},
                             {"output_median", std::exp(cs.output_mu)},
                             {"output_sigma", rc.output.sigma},
                             {"prefix_if_continuing", cs.prefix_if_continuing}});
    }
    j["solution"] = json{{"classes", classes},
                         {"continuation_probability", s.continuation_probability},
                         {"requests_per_day", s.requests_per_day},
                         {"expected_requests", day.expected_requests()}};
    json targets = json::array();
    for (const auto& c : checks) {
      targets.push_back(json{{"name", c.name},
                             {"target", c.target},
                             {"achieved", c.achieved},
                             {c.absolute ? "error_points" : "relative_error", c.error},
                             {"tolerance", c.tolerance},
                             {"ok", c.ok()}});
    }
    j["targets"] = targets;
    j["stats"] = stats.to_json(day.models());
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("profile {} ({}), scale {}, seed {}\n", profile.name, profile.file, scale, seed);
    fmt::print("solved mixture (expected {:.0f} requests a day at scale 1):\n", s.requests_per_day);
    for (size_t c = 0; c < profile.classes.size(); ++c) {
      const auto& rc = profile.classes[c];
      const auto& cs = s.classes[c];
      fmt::print(
          "  {:<14} {} share {:.2f}: input mean {:.0f} (median {:.0f}, sigma {}), output mean {:.0f} "
          "(median {:.0f}, sigma {})\n",
          rc.name, day.class_model(c), rc.request_share, cs.input_mean, std::exp(cs.input_mu), rc.input.sigma,
          cs.output_mean, std::exp(cs.output_mu), rc.output.sigma);
    }
    fmt::print("  continuation probability {:.4f}\n", s.continuation_probability);
    fmt::print("targets (tolerances of issue 5 at scale {}):\n", scale >= 1 ? "1" : "0.01");
    for (const auto& c : checks) {
      auto value = [](double v) { return std::abs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.4f}", v); };
      if (c.absolute) {
        fmt::print("  {:<26} target {:>14} achieved {:>14} error {:+.3f} points (tolerance {:.0f})  {}\n", c.name,
                   value(c.target), value(c.achieved), c.error * 100, c.tolerance * 100, c.ok() ? "ok" : "MISSED");
      } else {
        fmt::print("  {:<26} target {:>14} achieved {:>14} error {:+.3f} % (tolerance {:.0f} %)  {}\n", c.name,
                   value(c.target), value(c.achieved), c.error * 100, c.tolerance * 100, c.ok() ? "ok" : "MISSED");
      }
    }
    fmt::print("{}", stats.to_text(day.models()));
    if (!out.empty()) fmt::print("wrote {} requests to {}\n", stats.requests(), out);
  }
  if (check && !all_ok) throw ExitStatus{kExitCheckMissed};
}

void run_stats(const std::string& file, const std::string& format, std::optional<int64_t> cache_blocks,
               std::optional<int64_t> cache_bytes, bool as_json, bool skip_bad, const std::string& model) {
  const ReadOptions read = read_options(model, skip_bad);
  StatsOptions options;
  if (cache_blocks) options.lru_blocks = cache_blocks;
  if (cache_bytes) {
    const auto spec = llm::load_model(model.empty() ? "deepseek-v3" : model);
    options.lru_blocks = *cache_bytes / (std::llround(spec.kv_bytes_per_token()) * kBlockTokens);
  }
  auto source = open_trace(file, format_option(format, "--format"), read);
  TraceStats stats(options);
  for (Request r; source->next(r);) stats.add(r, source->block_hashes());
  warn_skipped(source->counters());
  if (as_json) {
    json j = stats.to_json(source->models());
    j["file"] = file;
    j["lines"] = source->counters().lines;
    j["skipped_bad"] = source->counters().skipped_bad;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}: {} lines, {} bad lines skipped\n{}", file, source->counters().lines, source->counters().skipped_bad,
               stats.to_text(source->models()));
  }
}

void run_convert(const std::string& in, const std::string& out, const std::string& from, const std::string& to,
                 bool skip_bad, int zstd_level, const std::string& model) {
  auto source = open_trace(in, format_option(from, "--from"), read_options(model, skip_bad));
  WriteOptions options;
  options.zstd_level = zstd_level;
  options.comments = {fmt::format("moesim trace convert {}", in)};
  const TraceFormatEntry& target = trace_formats().for_writing(out, format_option(to, "--to"));
  auto sink = target.make_writer(out, options);
  for (Request r; source->next(r);) sink->write(r, source->block_hashes(), source->models()[r.model]);
  sink->close();
  warn_skipped(source->counters());
  fmt::print("converted {} requests ({} bad lines skipped) to {} ({})\n", source->counters().requests,
             source->counters().skipped_bad, out, target.name);
  if (!target.written_note.empty()) fmt::print("note: {}\n", target.written_note);
}

}  // namespace

void add_trace_command(CLI::App& app) {
  auto* trace = app.add_subcommand("trace", "generate, inspect and convert request traces");
  const TraceFormats& formats = trace_formats();
  trace->require_subcommand(1);

  struct GenArgs {
    std::string profile;
    double scale = 1.0;
    uint64_t seed = 1;
    std::string out;
    std::string format = "auto";
    int zstd_level = 3;
    bool json = false;
    bool check = false;
    std::string model;
  };
  auto gen_args = std::make_shared<GenArgs>();
  auto* gen = trace->add_subcommand("gen", "generate a day of requests from a profile (prints what it achieved)");
  gen->add_option("--profile", gen_args->profile, "profile name (traces/profiles/NAME.json) or a .json path")
      ->required();
  gen->add_option("--scale", gen_args->scale, "fraction of the day's requests, keeping its shape (default 1)")
      ->check(within(0.0, 100.0));
  gen->add_option("--seed", gen_args->seed, "random seed (default 1)");
  gen->add_option("--out", gen_args->out, "trace file to write (.zst or .gz compress); omit to only report");
  gen->add_option("--format", gen_args->format,
                  fmt::format("output format: {} (default: {})", formats.choices(), formats.writer_rule()));
  gen->add_option("--zstd-level", gen_args->zstd_level, "zstd level for .zst output (default 3)")->check(within(1, 22));
  gen->add_flag("--json", gen_args->json, "print one JSON object");
  gen->add_flag("--check", gen_args->check, "exit with status 4 if a target is missed");
  gen->add_option("--model", gen_args->model,
                  "the served model (a name, alias or model file): classes of another model are served by it "
                  "(default: the profile's own names)");
  gen->callback([gen_args] {
    run_gen(gen_args->profile, gen_args->scale, gen_args->seed, gen_args->out, gen_args->format, gen_args->zstd_level,
            gen_args->json, gen_args->check, gen_args->model);
  });

  struct StatsArgs {
    std::string file;
    std::string format = "auto";
    std::optional<int64_t> cache_blocks;
    std::optional<int64_t> cache_bytes;
    bool json = false;
    bool skip_bad = false;
    std::string model;
  };
  auto stats_args = std::make_shared<StatsArgs>();
  auto* stats = trace->add_subcommand("stats", "statistics of a trace file");
  stats->add_option("file", stats_args->file, fmt::format("trace file ({}; .gz/.zst ok)", formats.known()))->required();
  stats->add_option("--format", stats_args->format, fmt::format("{} (default auto)", formats.choices()));
  auto* blocks =
      stats->add_option("--cache-blocks", stats_args->cache_blocks, "also run an LRU KV cache of N 512-token blocks");
  blocks->check(within(1, 1e12));
  stats
      ->add_option("--cache-bytes", stats_args->cache_bytes,
                   "the LRU's capacity in bytes (the model's KV bytes per token)")
      ->check(within(1, 1e18))
      ->excludes(blocks);
  stats->add_flag("--json", stats_args->json, "print one JSON object");
  stats->add_flag("--skip-bad", stats_args->skip_bad, "skip bad lines (counted) instead of failing");
  stats->add_option("--model", stats_args->model, kTraceModelHelp);
  stats->callback([stats_args] {
    run_stats(stats_args->file, stats_args->format, stats_args->cache_blocks, stats_args->cache_bytes, stats_args->json,
              stats_args->skip_bad, stats_args->model);
  });

  struct ConvertArgs {
    std::string in;
    std::string out;
    std::string from = "auto";
    std::string to = "auto";
    bool skip_bad = false;
    int zstd_level = 3;
    std::string model;
  };
  auto convert_args = std::make_shared<ConvertArgs>();
  auto* convert = trace->add_subcommand("convert", "convert a trace between formats");
  convert->add_option("in", convert_args->in, "input trace")->required();
  convert->add_option("out", convert_args->out, "output trace (.zst or .gz compress)")->required();
  convert->add_option("--from", convert_args->from, fmt::format("input format: {} (default auto)", formats.choices()));
  convert->add_option("--to", convert_args->to,
                      fmt::format("output format: {} (default: {})", formats.choices(), formats.writer_rule()));
  convert->add_flag("--skip-bad", convert_args->skip_bad, "skip bad lines (counted) instead of failing");
  convert->add_option("--zstd-level", convert_args->zstd_level, "zstd level for .zst output (default 3)")
      ->check(within(1, 22));
  convert->add_option("--model", convert_args->model, kTraceModelHelp);
  convert->callback([convert_args] {
    run_convert(convert_args->in, convert_args->out, convert_args->from, convert_args->to, convert_args->skip_bad,
                convert_args->zstd_level, convert_args->model);
  });
}

}  // namespace moesim::tools
