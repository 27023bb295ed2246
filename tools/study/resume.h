// Resuming a study: a rerun of the same sweep or plan into the same results.sqlite keeps the rows already written
// and runs only what is missing. A row is finished when it has no error, was written by this moesim version and
// holds the same resolved scenario as the job (so a changed --set, scenario file or grid value runs again); failed
// rows and rows of another version or scenario are run again, and their new rows replace them.
//
//   OpenedStudy opened = open_study(ranks, out, grid.keys, fresh, jobs, [](const Job& j) { return j.labels; });
//   run_jobs(opened.jobs, ranks, options, ...);  // on rank 0, adding rows to *opened.db
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tools/study/ranks.h"
#include "tools/study/results_db.h"
#include "tools/study/runner.h"

namespace moesim::study {

struct Resume {
  std::vector<size_t> to_run;                          ///< indices of the jobs to run, in order
  std::vector<std::pair<size_t, StoredRow>> finished;  ///< the jobs already done, with their rows
  int64_t failed = 0;                                  ///< rows with an error, to run again
  int64_t other_version = 0;                           ///< rows of another moesim version, to run again
  int64_t other_scenario = 0;                          ///< rows of another scenario, to run again

  /// One line for stderr: "N of M runs already in FILE: skipped; K failed rows run again ...".
  std::string message(const std::string& file, size_t jobs) const;
  /// to_run as text, for the other MPI ranks (Ranks::broadcast), and back.
  std::string encode() const;
  static std::vector<size_t> decode(const std::string& text);
};

/// The labels a job's row has in the database (a plan adds its fidelity).
using RowLabels = std::function<Labels(const Job&)>;

/// Which of `jobs` `db` already holds finished.
Resume find_finished(const std::vector<Job>& jobs, const ResultsDb& db, const RowLabels& row_labels);

/// A study's results opened for a (re)run, and the jobs left to run.
struct OpenedStudy {
  std::unique_ptr<ResultsDb> db;  ///< on rank 0; null on the others
  Resume resume;                  ///< on rank 0; empty on the others
  std::vector<Job> jobs;          ///< the jobs left to run, on every rank
};

/// On rank 0: creates `dir`, opens DIR/results.sqlite (replaced when `fresh`, else resumed), finds the jobs done
/// there, says so on stderr (with `note` after it) when the file held rows, and tells the other ranks which jobs
/// are left; on the others, receives that list. Every rank must call it. A mistake on rank 0 ends every rank (the
/// others would wait for it forever): exit status 2 for an InputError, else 1; alone, it is thrown.
OpenedStudy open_study(const Ranks& ranks, const std::filesystem::path& dir,
                       const std::vector<std::string>& label_columns, bool fresh, const std::vector<Job>& jobs,
                       const RowLabels& row_labels, const std::string& note = "");

}  // namespace moesim::study
