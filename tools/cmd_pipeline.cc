// moesim pipeline: one MoE layer's overlap timeline at a uniform load, as text and optionally as a Chrome trace
// (Perfetto and chrome://tracing open it) of a few consecutive layers.
#include <fmt/format.h>

#include <memory>

#include "models/pipeline/chrome_trace.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/step_options.h"

namespace moesim::tools {

namespace {

struct PipelineOptions {
  StepOptions step;
  std::string chrome_trace;
  int layers = 8;
};

void run_pipeline(const PipelineOptions& o) {
  auto setup = build_step(o.step);
  pipeline::StepResult r;
  if (o.step.phase == "prefill") {
    std::vector<pipeline::PrefillRank> ranks(static_cast<size_t>(o.step.ep), setup.prefill_rank);
    r = setup.unit->prefill(ranks, setup.expert_factor, true);
  } else {
    std::vector<pipeline::DecodeRank> ranks(static_cast<size_t>(o.step.ep), setup.decode_rank);
    r = setup.unit->decode(ranks, setup.expert_factor, true);
  }
  std::vector<pipeline::StageDurations> mbs(o.step.overlap ? 2 : 1, r.micro_batch);
  auto schedule = pipeline::schedule_layers(setup.unit->template_kind(), mbs, o.layers);
  fmt::print(
      "{}: {} layers, period {:.1f} us per MoE layer (per layer: compute {:.1f} us, communication {:.1f} us busy, "
      "{:.1f} us in flight)\n",
      schedule.template_name, schedule.layers, schedule.layer_period_s * 1e6,
      schedule.busy_s(pipeline::Resource::kCompute) / schedule.layers * 1e6,
      schedule.busy_s(pipeline::Resource::kComm) / schedule.layers * 1e6,
      schedule.busy_s(pipeline::Resource::kInFlight) / schedule.layers * 1e6);
  fmt::print("{:<22}{:<15}{:>12}{:>12}\n", "operator", "resource", "start us", "end us");
  for (const auto& op : schedule.ops) {
    if (op.layer < 2 || op.layer > 3) continue;  // two steady-state layers
    fmt::print("{:<22}{:<15}{:>12.1f}{:>12.1f}\n", pipeline::op_name(op), pipeline::resource_name(op.resource),
               op.start_s * 1e6, op.end_s * 1e6);
  }
  if (!o.chrome_trace.empty()) {
    std::vector<pipeline::StageOperators> operators(mbs.size(), r.micro_batch_operators);
    pipeline::write_chrome_trace(o.chrome_trace, schedule,
                                 {.first_layer = 1, .last_layer = o.layers - 2, .operators = operators});
    fmt::print("wrote {} (open in Perfetto or chrome://tracing)\n", o.chrome_trace);
  }
}

}  // namespace

void add_pipeline_command(CLI::App& app) {
  auto opts = std::make_shared<PipelineOptions>();
  auto* sub = app.add_subcommand("pipeline", "one layer's overlap timeline; --chrome-trace FILE for Perfetto");
  add_step_options(*sub, opts->step);
  sub->add_option("--chrome-trace", opts->chrome_trace, "write the schedule of a few layers as a Chrome trace");
  sub->add_option("--layers", opts->layers, "consecutive layers to schedule (at least 4)")
      ->check(within(4, 1000))
      ->capture_default_str();
  sub->callback([opts] { run_pipeline(*opts); });
}

}  // namespace moesim::tools
