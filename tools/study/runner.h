// The study runner: runs a list of jobs (a resolved scenario, a seed, the labels that name the job) on a thread pool
// (oneTBB) and across MPI ranks (job i on rank i mod R), and hands every result to rank 0 as it finishes. A job that
// fails (bad input found only when running, or any exception) is a result with its message; the others go on.
// `moesim sweep` builds its jobs from a grid; plan and compare build theirs their own way.
//
//   Ranks ranks;
//   run_jobs(jobs, ranks, {.threads = 4}, [&](const Job& job, const JobResult& r) { db.add(row_of(job, r)); });
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/observe/run_report.h"
#include "tools/study/ranks.h"

namespace moesim::study {

/// Columns that name a job beside its candidate and seed (the grid's key paths and values, a variant's name), in
/// column order.
using Labels = std::vector<std::pair<std::string, nlohmann::json>>;

/// The labels as "key=value, ..." for messages ("as the scenario stands" when there are none).
std::string describe(const Labels& labels);

struct Job {
  int64_t candidate = 0;  ///< the jobs of one candidate differ only by their seed
  uint64_t seed = 0;      ///< the scenario's seed is set to it
  Labels labels{};
  nlohmann::json scenario{};        ///< the resolved scenario document (resolve_scenario's, overrides applied)
  std::string origin{};             ///< the file it came from: errors name it, relative paths resolve against it
  std::filesystem::path out_dir{};  ///< where to write the run's files (run_and_write); empty: none
};

struct JobResult {
  size_t index = 0;                          ///< the job's position in the list
  std::optional<observe::RunReport> report;  ///< absent when the job failed
  nlohmann::json resolved{};  ///< the scenario as it ran, every default written (the document if it did not parse)
  std::string error{};        ///< why it failed; empty when it ran
  double wall_s = 0.0;        ///< parse, build, run (and write, with out_dir)

  bool ok() const { return report.has_value(); }
};

struct RunnerOptions {
  int threads = 0;           ///< threads per process; 0: the machine's cores shared among the ranks on it
  double drain_s = 86400.0;  ///< see cluster::RunControl
  bool exact = false;        ///< see cluster::RunControl
  /// Called on rank 0's main thread while it waits for results, about five times a second (a progress display).
  std::function<void()> on_wait{};
};

/// Called on rank 0's main thread, once per job, in the order the jobs finish.
using ResultFn = std::function<void(const Job&, const JobResult&)>;

/// Runs every job; returns when rank 0 has been handed every result (on other ranks: when theirs are sent). An
/// exception from `on_result` skips the jobs not yet started, ends those running at their next progress report
/// (every 65,536 events), and is rethrown; with several ranks, rank 0 prints it and ends them all (MPI_Abort).
void run_jobs(const std::vector<Job>& jobs, const Ranks& ranks, const RunnerOptions& options,
              const ResultFn& on_result);

/// Every result in job order (on rank 0; empty on the others).
std::vector<JobResult> run_all(const std::vector<Job>& jobs, const Ranks& ranks, const RunnerOptions& options);

/// The job's scenario document with its seed set: what run_job parses.
nlohmann::json job_document(const Job& job);

/// Runs one job in this thread; never throws (a failure is the result's error).
JobResult run_job(const Job& job, size_t index, const RunnerOptions& options);

/// The thread count `options.threads` means here.
int thread_count(const RunnerOptions& options, const Ranks& ranks);

/// A result as one JSON text (what the ranks send to rank 0), and back.
std::string encode_result(const JobResult& result);
JobResult decode_result(const std::string& text);

}  // namespace moesim::study
