#include "tools/study/resume.h"

#include <fmt/format.h>

#include <cstdio>

#include "common/error.h"
#include "common/output_paths.h"
#include "sim/cluster/scenario.h"

namespace moesim::study {

namespace {

// The resolved scenario run_job would store for this job; empty if it does not parse (it will fail again).
std::string resolved_text(const Job& job) {
  try {
    return cluster::to_json(cluster::parse_scenario(job_document(job), job.origin)).dump();
  } catch (const InputError&) {
    return {};
  }
}

}  // namespace

Resume find_finished(const std::vector<Job>& jobs, const ResultsDb& db, const RowLabels& row_labels) {
  Resume out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    StoredRow row = db.stored(jobs[i].candidate, jobs[i].seed, row_labels(jobs[i]));
    switch (row.state) {
      case StoredRow::State::kNone:
        out.to_run.push_back(i);
        break;
      case StoredRow::State::kFailed:
        ++out.failed;
        out.to_run.push_back(i);
        break;
      case StoredRow::State::kOtherVersion:
        ++out.other_version;
        out.to_run.push_back(i);
        break;
      case StoredRow::State::kFinished:
        if (row.scenario_json == resolved_text(jobs[i])) {
          out.finished.emplace_back(i, std::move(row));
        } else {
          ++out.other_scenario;
          out.to_run.push_back(i);
        }
        break;
    }
  }
  return out;
}

OpenedStudy open_study(const Ranks& ranks, const std::filesystem::path& dir,
                       const std::vector<std::string>& label_columns, bool fresh, const std::vector<Job>& jobs,
                       const RowLabels& row_labels, const std::string& note) {
  OpenedStudy out;
  std::string to_run;
  if (ranks.root()) {
    try {
      prepare_output_folder(dir, "--out");
      out.db = std::make_unique<ResultsDb>(dir / "results.sqlite", label_columns, summary_template(),
                                           fresh ? Existing::kReplace : Existing::kResume);
      out.resume = find_finished(jobs, *out.db, row_labels);
    } catch (const std::exception& e) {
      if (ranks.size() > 1) {
        std::fprintf(stderr, "error: %s\n", e.what());
        ranks.abort(dynamic_cast<const InputError*>(&e) != nullptr ? kExitBadInput : 1);
      }
      throw;
    }
    if (out.db->rows_found() > 0) {
      std::fprintf(stderr, "%s%s\n", out.resume.message((dir / "results.sqlite").string(), jobs.size()).c_str(),
                   note.c_str());
    }
    to_run = out.resume.encode();
  }
  ranks.broadcast(to_run);
  for (size_t i : Resume::decode(to_run)) out.jobs.push_back(jobs.at(i));
  return out;
}

std::string Resume::message(const std::string& file, size_t jobs) const {
  std::string out = fmt::format("{} of {} runs already in {}: skipped", finished.size(), jobs, file);
  if (failed > 0) out += fmt::format("; {} failed run(s) run again", failed);
  if (other_version > 0) out += fmt::format("; {} run(s) of another moesim version run again", other_version);
  if (other_scenario > 0) out += fmt::format("; {} run(s) of another scenario run again", other_scenario);
  return out;
}

std::string Resume::encode() const {
  std::string out;
  for (size_t i : to_run) out += fmt::format("{} ", i);
  return out;
}

std::vector<size_t> Resume::decode(const std::string& text) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    out.push_back(std::stoull(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return out;
}

}  // namespace moesim::study
