// The study's SQLite results (tools/study/results_db.h): the runs table, the by_candidate view's statistics on a
// hand-made table, figure columns added on the way, error rows, the CSV.
#include "tools/study/results_db.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "tests/support/command.h"
#include "tests/support/sqlite_rows.h"

using moesim::study::ResultRow;
using moesim::study::ResultsDb;

namespace {

using moesim::test::fresh_dir;

ResultRow row(int64_t candidate, uint64_t seed, const std::string& hw, nlohmann::json figures) {
  return {.candidate = candidate,
          .seed = seed,
          .labels = {{"hardware", hw}},
          .figures = std::move(figures),
          .scenario_json = R"({"hardware":")" + hw + "\"}",
          .error = "",
          .wall_s = 0.5};
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("results db: by_candidate gives the mean, standard deviation, min, max and count over seeds") {
  auto dir = fresh_dir("moesim-results-db-view");
  const nlohmann::json figures = {{"nodes_avg", 0.0}, {"requests_in", 0}, {"scenario", ""}};
  {
    ResultsDb db(dir / "r.sqlite", {"hardware"}, figures);
    // Candidate 0: nodes 2, 4, 9 (mean 5, sample sd sqrt(((-3)^2 + (-1)^2 + 4^2) / 2) = sqrt(13)).
    db.add(row(0, 1, "h800", {{"nodes_avg", 2.0}, {"requests_in", 10}, {"scenario", "s"}}));
    db.add(row(0, 3, "h800", {{"nodes_avg", 9.0}, {"requests_in", 30}, {"scenario", "s"}}));
    db.add(row(0, 2, "h800", {{"nodes_avg", 4.0}, {"requests_in", 20}, {"scenario", "s"}}));
    // Candidate 1: one run and one failure (no figures): no standard deviation from one value.
    db.add(row(1, 1, "h200", {{"nodes_avg", 7.5}, {"requests_in", 15}, {"scenario", "s"}}));
    ResultRow failed = row(1, 2, "h200", nullptr);
    failed.error = "traces/x.jsonl: cannot open file";
    db.add(failed);
    CHECK(db.rows() == 5);
  }
  auto view = moesim::test::sqlite_rows(dir / "r.sqlite", "SELECT * FROM by_candidate");
  REQUIRE(view.size() == 2);
  CHECK(view[0].at("candidate") == "0");
  CHECK(view[0].at("hardware") == "h800");
  CHECK(view[0].at("runs") == "3");
  CHECK(view[0].at("errors") == "0");
  CHECK(std::stod(view[0].at("nodes_avg.mean")) == Approx(5.0));
  CHECK(std::stod(view[0].at("nodes_avg.sd")) == Approx(std::sqrt(13.0)));
  CHECK(view[0].at("nodes_avg.min") == "2");
  CHECK(view[0].at("nodes_avg.max") == "9");
  CHECK(view[0].at("nodes_avg.n") == "3");
  CHECK(std::stod(view[0].at("requests_in.mean")) == Approx(20.0));
  CHECK(std::stod(view[0].at("requests_in.sd")) == Approx(10.0));
  CHECK(view[0].count("scenario.mean") == 0);  // text figures have no statistics
  CHECK(view[1].at("hardware") == "h200");
  CHECK(view[1].at("runs") == "2");
  CHECK(view[1].at("errors") == "1");
  CHECK(view[1].at("nodes_avg.mean") == "7.5");
  CHECK(view[1].at("nodes_avg.sd") == "NULL");
  CHECK(view[1].at("nodes_avg.n") == "1");
  auto runs = moesim::test::sqlite_rows(dir / "r.sqlite", "SELECT * FROM runs");
  REQUIRE(runs.size() == 5);
  CHECK(runs[1].at("seed") == "2");  // stored in (candidate, seed) order, whatever the order of adding
  CHECK(runs[4].at("error") == "traces/x.jsonl: cannot open file");
  CHECK(runs[4].at("nodes_avg") == "NULL");
  CHECK(runs[0].at("error") == "NULL");
  CHECK(runs[0].at("moesim_version").find('.') != std::string::npos);  // "0.1.0"
  CHECK(runs[0].at("wall_s") == "0.5");
}

TEST_CASE("results db: nested figures flatten with dots, a new figure gets its column, the CSV is ordered") {
  auto dir = fresh_dir("moesim-results-db-columns");
  const nlohmann::json figures = {{"seed", 1}, {"tokens_in", {{"input", 0}, {"output", 0}}}, {"margin", 0.0}};
  {
    ResultsDb db(dir / "r.sqlite", {"fleet.decode.units"}, figures);
    ResultRow b = {.candidate = 1,
                   .seed = 4,
                   .labels = {{"fleet.decode.units", 2}},
                   .figures = {{"seed", 4},
                               {"tokens_in", {{"input", 5}, {"output", 6}}},
                               {"margin", 0.25},
                               {"rejected_by_reason", {{"context, too \"long\"", 3}}}},
                   .scenario_json = "{}",
                   .error = "",
                   .wall_s = 1.0};
    ResultRow a = b;
    a.candidate = 0;
    a.labels = {{"fleet.decode.units", 1}};
    a.figures = {{"seed", 4}, {"tokens_in", {{"input", 1}, {"output", 2}}}, {"margin", 0.5}};
    db.add(b);
    db.add(a);
    db.write_csv(dir / "r.csv");
  }
  auto runs = moesim::test::sqlite_rows(dir / "r.sqlite", "SELECT * FROM runs ORDER BY candidate");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("tokens_in.input") == "1");
  CHECK(runs[1].at("tokens_in.output") == "6");
  CHECK(runs[0].at("fleet.decode.units") == "1");
  CHECK(runs[1].at("rejected_by_reason.context, too \"long\"") == "3");
  CHECK(runs[0].at("rejected_by_reason.context, too \"long\"") == "NULL");
  auto view = moesim::test::sqlite_rows(dir / "r.sqlite", "SELECT * FROM by_candidate");
  CHECK(view[1].at("rejected_by_reason.context, too \"long\".mean") == "3");  // the view follows the new column
  auto csv = slurp(dir / "r.csv");
  std::string header = csv.substr(0, csv.find('\n'));
  // Figures in summary.json's key order (alphabetical), a figure the template lacked after them.
  CHECK(header ==
        "candidate,seed,fleet.decode.units,error,margin,tokens_in.input,tokens_in.output,"
        "\"rejected_by_reason.context, too \"\"long\"\"\",moesim_version,scenario_json,wall_s");
  CHECK(csv.find("\n0,4,1,,0.5,1,2,,") != std::string::npos);
  CHECK(csv.find("\n1,4,2,,0.25,5,6,3,") != std::string::npos);
  CHECK(csv.find("\n0,") < csv.find("\n1,"));
}

TEST_CASE("results db: a label column may not clash with a fixed or figure column") {
  auto dir = fresh_dir("moesim-results-db-clash");
  CHECK_THROWS_AS(ResultsDb(dir / "r.sqlite", {"error"}, nlohmann::json::object()), moesim::InputError);
  CHECK_THROWS_AS(ResultsDb(dir / "r.sqlite", {"margin"}, {{"margin", 0.0}}), moesim::InputError);
}

TEST_CASE("results db: the summary template holds every figure a run reports") {
  auto names = moesim::study::flatten_figures(moesim::study::summary_template());
  auto has = [&](const std::string& n) {
    return std::any_of(names.begin(), names.end(), [&](const auto& f) { return f.first == n; });
  };
  CHECK(has("nodes_avg"));
  CHECK(has("tokens_in.input"));
  CHECK(has("requests_in_flight_at_end.decode"));
  CHECK(has("source.name"));
  CHECK(has("source.lines"));
  CHECK(has("source.first_bad"));
  CHECK(has("prefill_utilization"));
  CHECK(!has("seed"));  // the row's own column
}

TEST_CASE("results db: a resumed database keeps its rows and tells finished, failed and other-version rows apart") {
  using State = moesim::study::StoredRow::State;
  auto dir = fresh_dir("moesim-results-db-resume");
  const nlohmann::json figures = {{"nodes_avg", 0.0}, {"requests_in", 0}, {"tokens", {{"input", 0}}}};
  {
    ResultsDb db(dir / "r.sqlite", {"hardware"}, figures);
    db.add(row(0, 1, "h800", {{"nodes_avg", 2.5}, {"requests_in", 10}, {"tokens", {{"input", 7}}}}));
    ResultRow failed = row(1, 1, "h200", nullptr);
    failed.error = "it failed";
    db.add(failed);
    db.add(row(2, 1, "h100", {{"nodes_avg", 3.0}, {"requests_in", 11}, {"tokens", {{"input", 8}}}}));
  }
  {  // as if an older moesim had written candidate 2
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open((dir / "r.sqlite").string().c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "UPDATE runs SET moesim_version = '0.0.1' WHERE candidate = 2", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  ResultsDb db(dir / "r.sqlite", {"hardware"}, figures, moesim::study::Existing::kResume);
  CHECK(db.rows_found() == 3);
  auto done = db.stored(0, 1, {{"hardware", "h800"}});
  REQUIRE(done.state == State::kFinished);
  CHECK(done.scenario_json == R"({"hardware":"h800"})");
  CHECK(done.figures == nlohmann::json({{"nodes_avg", 2.5}, {"requests_in", 10}, {"tokens.input", 7}}));
  CHECK(db.stored(0, 1, {{"hardware", "h200"}}).state == State::kNone);  // another label: another row
  CHECK(db.stored(0, 2, {{"hardware", "h800"}}).state == State::kNone);
  CHECK(db.stored(1, 1, {{"hardware", "h200"}}).state == State::kFailed);
  CHECK(db.stored(2, 1, {{"hardware", "h100"}}).state == State::kOtherVersion);
  // A new row of a failed key replaces it; the others stay.
  db.add(row(1, 1, "h200", {{"nodes_avg", 4.0}, {"requests_in", 12}, {"tokens", {{"input", 9}}}}));
  CHECK(db.stored(1, 1, {{"hardware", "h200"}}).state == State::kFinished);
  auto rows = moesim::test::sqlite_rows(dir / "r.sqlite", "SELECT * FROM runs ORDER BY candidate");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].at("nodes_avg") == "2.5");
  CHECK(rows[1].at("error") == "NULL");
}

TEST_CASE("results db: resuming a database of another study is refused, naming both studies' labels") {
  auto dir = fresh_dir("moesim-results-db-other");
  { ResultsDb db(dir / "r.sqlite", {"hardware"}, {{"nodes_avg", 0.0}}); }
  CHECK_THROWS_WITH(
      ResultsDb(dir / "r.sqlite", {"fleet.decode.units"}, {{"nodes_avg", 0.0}}, moesim::study::Existing::kResume),
      Catch::Contains("holds the results of another study (its label columns: hardware; this study's: "
                      "fleet.decode.units)"));
  ResultsDb replaced(dir / "r.sqlite", {"fleet.decode.units"}, {{"nodes_avg", 0.0}});  // kReplace starts afresh
  CHECK(replaced.rows_found() == 0);
}
