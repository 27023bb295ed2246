// A study's results in SQLite: table `runs`, one row per (candidate, seed), and view `by_candidate`, the mean,
// standard deviation, min, max and count over seeds of every numeric figure. Each row is written in its own
// transaction, so an interrupted study keeps the rows it finished, and a rerun opened with Existing::kResume finds
// them (stored()) and need not run them again. write_csv() gives the same rows as CSV.
//
//   ResultsDb db("out/sweep/results.sqlite", {"hardware", "fleet.decode.nodes_per_unit"});
//   db.add(row);  ...  db.write_csv("out/sweep/results.csv");
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace moesim::study {

/// One row of `runs`.
struct ResultRow {
  int64_t candidate = 0;
  uint64_t seed = 0;
  std::vector<std::pair<std::string, nlohmann::json>> labels{};  ///< the label columns' values, by name
  nlohmann::json figures{};     ///< summary.json's document (observe::to_json); null when the run failed
  std::string scenario_json{};  ///< the resolved scenario
  std::string error{};          ///< empty when the run succeeded (stored as NULL)
  double wall_s = 0.0;
};

/// The figure columns of a summary.json document: its keys, nested objects flattened with dots
/// ("tokens_in.input"), arrays as JSON text; "seed" is left out (the row's own column). Each with the value.
std::vector<std::pair<std::string, nlohmann::json>> flatten_figures(const nlohmann::json& summary);

/// A summary.json document with every figure a run can report (the autoscaler's and the trace counters too):
/// it fixes the figure columns and their types before the first row comes.
nlohmann::json summary_template();

/// What a results database holds for one row's key (candidate, seed, labels).
struct StoredRow {
  enum class State {
    kNone,          ///< no row
    kFailed,        ///< a row with an error
    kOtherVersion,  ///< a row written by another moesim version
    kFinished,      ///< a row without error, written by this version
  };
  State state = State::kNone;
  std::string scenario_json{};  ///< the row's resolved scenario (kFinished)
  /// The row's figures (kFinished): a flat object, column name to value (REAL a double, INTEGER an integer, TEXT
  /// a string, NULL left out), so flatten_figures() of it names the figures as flatten_figures() of the summary.
  nlohmann::json figures{};
};

/// What to do with a results database that already exists.
enum class Existing {
  kReplace,  ///< start afresh
  kResume,   ///< keep its rows (a rerun of the same study): rows added later replace those of the same key
};

class ResultsDb {
 public:
  /// Creates `file` with the columns candidate, seed, `label_columns`, error, the figures of `figure_template`
  /// (flatten_figures; numbers INTEGER or REAL, strings TEXT), wall_s, moesim_version and scenario_json; and the
  /// view. An existing file is replaced, or with Existing::kResume kept, with its rows: its label columns must be
  /// `label_columns` (the same study), and figure columns it lacks are added. A figure that a later row brings and
  /// the template lacks (a rejection reason) gets its column then. An unwritable file, a label that clashes with a
  /// fixed column, or a file to resume that holds another study's results is an InputError.
  ResultsDb(const std::filesystem::path& file, const std::vector<std::string>& label_columns,
            const nlohmann::json& figure_template = summary_template(), Existing existing = Existing::kReplace);
  ~ResultsDb();
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  /// Writes one row in its own transaction; it replaces a row of the same key.
  void add(const ResultRow& row);
  /// The row of this key, if any, and whether it finished with this moesim version.
  StoredRow stored(int64_t candidate, uint64_t seed,
                   const std::vector<std::pair<std::string, nlohmann::json>>& labels) const;
  /// Rows the file held when it was opened.
  int64_t rows_found() const { return rows_found_; }
  /// Rows written so far.
  int64_t rows() const { return rows_; }
  /// Every row, ordered by candidate and seed, as CSV (RFC 4180 quoting; NULL is an empty field). The columns are
  /// the table's, in a fixed order: extra figure columns after the template's, by name; wall_s last.
  void write_csv(const std::filesystem::path& file) const;

 private:
  struct Column {
    std::string name;
    std::string type;  ///< INTEGER, REAL, TEXT, or empty (label columns take the values' own types)
    bool figure = false;
  };
  void exec(const std::string& sql) const;
  void create_table();
  bool open_existing(const std::vector<std::string>& label_columns);
  void add_column(const Column& c);
  void create_view() const;
  std::vector<Column> csv_order() const;

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::vector<Column> columns_;             ///< in the table's order
  std::set<std::string> template_figures_;  ///< figure columns from the template (CSV: these first)
  std::vector<std::string> labels_;
  int64_t rows_ = 0;
  int64_t rows_found_ = 0;
};

}  // namespace moesim::study
