// Resuming a study: a rerun of the same sweep or plan into the same results.sqlite keeps the rows already written
// and runs only what is missing. A row is finished when it has no error, was written by this moesim version and
// holds the same resolved scenario as the job (so a changed --set, scenario file or grid value runs again); failed
// rows and rows of another version or scenario are run again, and their new rows replace them.
//
//   ResultsDb db(out / "results.sqlite", labels, summary_template(), Existing::kResume);
//   Resume resume = find_finished(jobs, db, [](const Job& j) { return j.labels; });
//   jobs = resume.remaining(jobs);  // and resume.message() on stderr
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tools/study/results_db.h"
#include "tools/study/runner.h"

namespace moesim::study {

struct Resume {
  std::vector<size_t> to_run;                          ///< indices of the jobs to run, in order
  std::vector<std::pair<size_t, StoredRow>> finished;  ///< the jobs already done, with their rows
  int64_t failed = 0;                                  ///< rows with an error, to run again
  int64_t other_version = 0;                           ///< rows of another moesim version, to run again
  int64_t other_scenario = 0;                          ///< rows of another scenario, to run again

  /// The jobs in to_run.
  std::vector<Job> remaining(const std::vector<Job>& jobs) const;
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

}  // namespace moesim::study
