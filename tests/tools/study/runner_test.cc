// The study runner (tools/study/runner.h) in this process: results in job order, a failing job as an error result
// while the others run, the same reports whatever the thread count, and a result's trip through JSON (what the MPI
// ranks send to rank 0).
#include "tools/study/runner.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/scenario_file.h"

using moesim::study::Job;
using moesim::study::JobResult;

namespace {

// A tiny steady-small: 20 simulated seconds, even expert routing (no EPLB): a few hundred requests, well under a
// second per run.
std::vector<Job> tiny_jobs() {
  const std::string file = std::string(MOESIM_SOURCE_DIR) + "/scenarios/steady-small.json";
  auto base = moesim::resolve_scenario(file, {"horizon_s=20", "experts.skew=\"uniform\"", "experts.eplb=\"none\""});
  std::vector<Job> jobs;
  for (int c = 0; c < 2; ++c) {
    for (uint64_t seed : {1u, 2u}) {
      Job job{.candidate = c,
              .seed = seed,
              .labels = {{"workload.rate_per_s", 20 + 20 * c}},
              .scenario = base,
              .origin = file,
              .out_dir = {}};
      job.scenario["workload"]["rate_per_s"] = 20 + 20 * c;
      jobs.push_back(job);
    }
  }
  // A job that parses but cannot run: its trace file does not exist.
  Job broken = jobs.front();
  broken.candidate = 2;
  broken.scenario["workload"] = {{"kind", "trace"}, {"file", "no-such-trace.jsonl"}};
  jobs.insert(jobs.begin() + 2, broken);
  return jobs;
}

}  // namespace

TEST_CASE("runner: results come in job order, a failing job is an error result and the others still run") {
  moesim::study::Ranks ranks;
  auto jobs = tiny_jobs();
  auto one = moesim::study::run_all(jobs, ranks, {.threads = 1});
  auto two = moesim::study::run_all(jobs, ranks, {.threads = 2});
  REQUIRE(one.size() == jobs.size());
  REQUIRE(two.size() == jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    INFO("job " << i);
    CHECK(one[i].index == i);
    CHECK(one[i].ok() == (i != 2));
    // Same scenario and seed, same report, whatever the thread count.
    CHECK(one[i].report == two[i].report);
    CHECK(one[i].resolved == two[i].resolved);
    CHECK(one[i].error == two[i].error);
  }
  CHECK(one[2].error.find("no-such-trace.jsonl") != std::string::npos);
  CHECK(one[2].wall_s >= 0.0);
  // The job's seed is the scenario's; different seeds, different draws.
  CHECK(one[0].report->seed == 1);
  CHECK(one[1].report->seed == 2);
  CHECK(one[0].resolved["seed"] == 1);
  CHECK(one[0].report->conservation.requests_in != one[3].report->conservation.requests_in);
}

TEST_CASE("runner: a result survives its trip through JSON unchanged (what a rank sends to rank 0)") {
  auto jobs = tiny_jobs();
  JobResult ran = moesim::study::run_job(jobs[0], 0, {});
  REQUIRE(ran.ok());
  JobResult back = moesim::study::decode_result(moesim::study::encode_result(ran));
  CHECK(back.index == ran.index);
  CHECK(back.report == ran.report);
  CHECK(back.resolved == ran.resolved);
  CHECK(back.wall_s == ran.wall_s);
  JobResult failed = moesim::study::run_job(jobs[2], 2, {});
  REQUIRE(!failed.ok());
  JobResult failed_back = moesim::study::decode_result(moesim::study::encode_result(failed));
  CHECK(!failed_back.ok());
  CHECK(failed_back.error == failed.error);
  CHECK(failed_back.index == 2);
}
