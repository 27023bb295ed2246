#include "tools/study/results_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <string_view>

#include "common/error.h"
#include "sim/observe/run_report.h"

namespace moesim::study {

namespace {

// An SQL identifier: column names are key paths with dots ("fleet.decode.units"), so always quoted.
std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string sql_type(const nlohmann::json& v) {
  if (v.is_boolean() || v.is_number_integer()) return "INTEGER";  // unsigned counts are integers too
  if (v.is_number_float()) return "REAL";
  return "TEXT";
}

void flatten(const nlohmann::json& node, const std::string& prefix,
             std::vector<std::pair<std::string, nlohmann::json>>& out) {
  for (const auto& [key, value] : node.items()) {
    std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      flatten(value, name, out);
    } else if (value.is_array()) {
      out.emplace_back(name, value.dump());
    } else {
      out.emplace_back(name, value);
    }
  }
}

// A statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db);
      sqlite3_finalize(stmt_);
      throw std::runtime_error(fmt::format("SQLite: {} in: {}", message, sql.substr(0, 200)));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

  void bind(int i, const nlohmann::json& v) {
    if (v.is_null()) {
      sqlite3_bind_null(stmt_, i);
    } else if (v.is_boolean()) {
      sqlite3_bind_int64(stmt_, i, v.get<bool>() ? 1 : 0);
    } else if (v.is_number_unsigned()) {
      auto u = v.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        sqlite3_bind_int64(stmt_, i, static_cast<int64_t>(u));
      } else {
        sqlite3_bind_double(stmt_, i, static_cast<double>(u));
      }
    } else if (v.is_number_integer()) {
      sqlite3_bind_int64(stmt_, i, v.get<int64_t>());
    } else if (v.is_number_float()) {
      sqlite3_bind_double(stmt_, i, v.get<double>());
    } else {
      std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      sqlite3_bind_text(stmt_, i, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Appends `item` to a `sep`-separated list.
void append(std::string& list, std::string_view sep, std::string_view item) {
  if (!list.empty()) list += sep;
  list += item;
}

const std::set<std::string>& fixed_columns() {
  static const std::set<std::string> names = {"candidate", "seed",           "error",
                                              "wall_s",    "moesim_version", "scenario_json"};
  return names;
}

}  // namespace

std::vector<std::pair<std::string, nlohmann::json>> flatten_figures(const nlohmann::json& summary) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  nlohmann::json copy = summary;
  copy.erase("seed");
  flatten(copy, "", out);
  return out;
}

nlohmann::json summary_template() {
  observe::RunReport r;
  r.autoscaler.emplace();
  r.source.has_counters = true;
  r.source.first_bad = {""};
  return observe::to_json(r);
}

ResultsDb::ResultsDb(const std::filesystem::path& file, const std::vector<std::string>& label_columns,
                     const nlohmann::json& figure_template, Existing existing)
    : file_(file), labels_(label_columns) {
  auto figures = flatten_figures(figure_template);
  std::set<std::string> taken = fixed_columns();
  for (const auto& [name, value] : figures) taken.insert(name);
  std::set<std::string> seen;
  for (const auto& l : label_columns) {
    if (taken.count(l) || !seen.insert(l).second) {
      throw InputError(fmt::format("{}: the label column \"{}\" clashes with another column", file.string(), l));
    }
  }
  columns_.push_back({"candidate", "INTEGER"});
  columns_.push_back({"seed", "INTEGER"});
  for (const auto& l : label_columns) columns_.push_back({l, ""});
  columns_.push_back({"error", "TEXT"});
  for (const auto& [name, value] : figures) {
    columns_.push_back({name, sql_type(value), true});
    template_figures_.insert(name);
  }
  columns_.push_back({"wall_s", "REAL"});
  columns_.push_back({"moesim_version", "TEXT"});
  columns_.push_back({"scenario_json", "TEXT"});

  if (existing == Existing::kReplace) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
    std::filesystem::remove(file.string() + "-journal", ignored);
  }
  // The destructor does not run when the constructor throws: close the database here then.
  try {
    if (sqlite3_open(file.string().c_str(), &db_) != SQLITE_OK) {
      throw std::runtime_error(db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory");
    }
    if (!open_existing(label_columns)) create_table();
    create_view();
  } catch (const InputError&) {
    sqlite3_close(db_);
    throw;
  } catch (const std::exception& e) {
    sqlite3_close(db_);
    throw InputError(fmt::format("{}: cannot create the results database: {}", file.string(), e.what()));
  }
}

void ResultsDb::create_table() {
  std::string sql = "CREATE TABLE runs (";
  for (const auto& c : columns_) sql += quoted(c.name) + (c.type.empty() ? "" : " " + c.type) + ", ";
  // Stored in (candidate, seed) order, whatever the order the runs finish in. The labels are in the key too: a
  // plan writes each candidate's seed once screened and once simulated (its fidelity label).
  std::string key = "candidate, seed";
  for (const auto& l : labels_) key += ", " + quoted(l);
  sql += "PRIMARY KEY (" + key + ")) WITHOUT ROWID";
  exec(sql);
}

// An existing table `runs` (a study to resume): its columns become ours, in its order, and the template's figures
// it lacks are added. Its key (candidate, seed, labels) must be this study's. False when there is no such table.
bool ResultsDb::open_existing(const std::vector<std::string>& label_columns) {
  std::vector<Column> found;
  std::vector<std::pair<int, std::string>> key;
  {
    Statement info(db_, "PRAGMA table_info(runs)");
    while (sqlite3_step(info.get()) == SQLITE_ROW) {
      std::string name = reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1));
      const unsigned char* type = sqlite3_column_text(info.get(), 2);
      int pk = sqlite3_column_int(info.get(), 5);
      found.push_back({name, type != nullptr ? reinterpret_cast<const char*>(type) : "", false});
      if (pk > 0) key.emplace_back(pk, name);
    }
  }
  if (found.empty()) return false;
  std::sort(key.begin(), key.end());
  std::vector<std::string> names = {"candidate", "seed"};
  names.insert(names.end(), label_columns.begin(), label_columns.end());
  std::vector<std::string> found_names;
  for (const auto& [pk, name] : key) found_names.push_back(name);
  if (found_names != names) {
    auto list = [](const std::vector<std::string>& v) {
      std::string out;
      for (size_t i = 2; i < v.size(); ++i) append(out, ", ", v[i]);
      return out.empty() ? std::string("none") : out;
    };
    throw InputError(fmt::format(
        "{}: holds the results of another study (its label columns: {}; this study's: {}): give another output "
        "folder, or --fresh to replace them",
        file_.string(), list(found_names), list(names)));
  }
  std::set<std::string> not_figures = fixed_columns();
  not_figures.insert(label_columns.begin(), label_columns.end());
  for (auto& c : found) c.figure = !not_figures.count(c.name);
  std::vector<Column> wanted = std::move(columns_);
  columns_ = std::move(found);
  for (const auto& c : wanted) {
    auto it = std::find_if(columns_.begin(), columns_.end(), [&](const Column& have) { return have.name == c.name; });
    if (it == columns_.end()) add_column(c);
  }
  Statement count(db_, "SELECT count(*) FROM runs");
  if (sqlite3_step(count.get()) == SQLITE_ROW) rows_found_ = sqlite3_column_int64(count.get(), 0);
  return true;
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

void ResultsDb::exec(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error(fmt::format("{}: SQLite: {} in: {}", file_.string(), text, sql.substr(0, 200)));
  }
}

void ResultsDb::add_column(const Column& c) {
  exec(fmt::format("ALTER TABLE runs ADD COLUMN {} {}", quoted(c.name), c.type));
  columns_.push_back(c);
}

// Per candidate: for each numeric figure X, "X.mean", "X.sd" (the sample standard deviation, from the sum of
// squared deviations from the candidate's mean; NULL with one value), "X.min", "X.max", "X.n" (runs with a value:
// failed runs have none). Label columns are the candidate's (equal in all its rows).
void ResultsDb::create_view() const {
  std::string means;
  std::string figures;
  for (const auto& c : columns_) {
    if (!c.figure || c.type == "TEXT") continue;
    std::string x = "r." + quoted(c.name);
    std::string m = "m." + quoted(c.name);
    means += fmt::format(", avg({0}) AS {0}", quoted(c.name));
    figures += fmt::format(
        ",\n  avg({0}) AS {1}, sqrt(sum(({0} - {2}) * ({0} - {2})) / (count({0}) - 1)) AS {3}, min({0}) AS {4}, "
        "max({0}) AS {5}, count({0}) AS {6}",
        x, quoted(c.name + ".mean"), m, quoted(c.name + ".sd"), quoted(c.name + ".min"), quoted(c.name + ".max"),
        quoted(c.name + ".n"));
  }
  // Grouped by the candidate and its labels: a candidate's labels are one set of values in a sweep, but a plan
  // writes a candidate twice, screened and simulated, told apart by its fidelity label.
  std::string labels, keys = "candidate";
  for (const auto& l : labels_) {
    labels += fmt::format(", r.{0} AS {0}", quoted(l));
    keys += ", " + quoted(l);
  }
  std::string r_keys = "r.candidate";
  for (const auto& l : labels_) r_keys += ", r." + quoted(l);
  exec("DROP VIEW IF EXISTS by_candidate");
  exec(fmt::format(
      "CREATE VIEW by_candidate AS\nSELECT r.candidate AS candidate{}, count(*) AS runs, count(r.error) AS errors{}\n"
      "FROM runs AS r JOIN (SELECT {}{} FROM runs GROUP BY {}) AS m USING ({})\n"
      "GROUP BY {} ORDER BY {}",
      labels, figures, keys, means, keys, keys, r_keys, r_keys));
}

void ResultsDb::add(const ResultRow& row) {
  std::vector<std::pair<std::string, nlohmann::json>> values = {{"candidate", row.candidate}, {"seed", row.seed}};
  for (const auto& l : row.labels) values.push_back(l);
  values.emplace_back("error", row.error.empty() ? nlohmann::json() : nlohmann::json(row.error));
  if (!row.figures.is_null()) {
    for (auto& f : flatten_figures(row.figures)) values.push_back(std::move(f));
  }
  values.emplace_back("wall_s", row.wall_s);
  values.emplace_back("moesim_version", MOESIM_VERSION);
  values.emplace_back("scenario_json", row.scenario_json);

  exec("BEGIN");
  try {
    bool added = false;
    for (const auto& [name, value] : values) {
      // By name, not by the structured binding: clang 14 cannot capture a binding in a lambda.
      auto it = std::find_if(columns_.begin(), columns_.end(), [&n = name](const Column& c) { return c.name == n; });
      if (it == columns_.end()) {
        add_column({name, sql_type(value), true});
        added = true;
      }
    }
    if (added) create_view();
    std::string names;
    std::string marks;
    for (const auto& [name, value] : values) {
      append(names, ", ", quoted(name));
      append(marks, ", ", "?");
    }
    Statement insert(db_, fmt::format("INSERT OR REPLACE INTO runs ({}) VALUES ({})", names, marks));
    for (size_t i = 0; i < values.size(); ++i) insert.bind(static_cast<int>(i + 1), values[i].second);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      throw std::runtime_error(fmt::format("{}: SQLite: {} (candidate {}, seed {})", file_.string(),
                                           sqlite3_errmsg(db_), row.candidate, row.seed));
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  ++rows_;
}

std::vector<ResultsDb::Column> ResultsDb::csv_order() const {
  std::vector<Column> order;
  std::vector<Column> extra;
  for (const auto& c : columns_) {
    if (c.name == "wall_s" || c.name == "moesim_version" || c.name == "scenario_json") continue;
    if (c.figure && !template_figures_.count(c.name)) {
      extra.push_back(c);
    } else {
      order.push_back(c);
    }
  }
  std::sort(extra.begin(), extra.end(), [](const Column& a, const Column& b) { return a.name < b.name; });
  order.insert(order.end(), extra.begin(), extra.end());
  order.push_back({"moesim_version", "TEXT"});
  order.push_back({"scenario_json", "TEXT"});
  order.push_back({"wall_s", "REAL"});  // last: the one column that differs between repeated sweeps
  return order;
}

StoredRow ResultsDb::stored(int64_t candidate, uint64_t seed,
                            const std::vector<std::pair<std::string, nlohmann::json>>& labels) const {
  std::string where = "candidate = ? AND seed = ?";
  for (const auto& [name, value] : labels) where += " AND " + quoted(name) + " IS ?";
  std::vector<Column> figures;
  std::string names = "error, moesim_version, scenario_json";
  for (const auto& c : columns_) {
    if (!c.figure) continue;
    figures.push_back(c);
    names += ", " + quoted(c.name);
  }
  Statement select(db_, fmt::format("SELECT {} FROM runs WHERE {}", names, where));
  select.bind(1, candidate);
  select.bind(2, seed);
  for (size_t i = 0; i < labels.size(); ++i) select.bind(static_cast<int>(i + 3), labels[i].second);
  StoredRow out;
  sqlite3_stmt* st = select.get();
  if (sqlite3_step(st) != SQLITE_ROW) return out;
  auto text = [&](int i) {
    const unsigned char* t = sqlite3_column_text(st, i);
    return t != nullptr ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
    out.state = StoredRow::State::kFailed;
    return out;
  }
  if (text(1) != MOESIM_VERSION) {
    out.state = StoredRow::State::kOtherVersion;
    return out;
  }
  out.state = StoredRow::State::kFinished;
  out.scenario_json = text(2);
  out.figures = nlohmann::json::object();
  for (size_t i = 0; i < figures.size(); ++i) {
    int col = static_cast<int>(i + 3);
    switch (sqlite3_column_type(st, col)) {
      case SQLITE_INTEGER:
        out.figures[figures[i].name] = sqlite3_column_int64(st, col);
        break;
      case SQLITE_FLOAT:
        out.figures[figures[i].name] = sqlite3_column_double(st, col);
        break;
      case SQLITE_NULL:
        break;
      default:
        out.figures[figures[i].name] = text(col);
    }
  }
  return out;
}

void ResultsDb::write_csv(const std::filesystem::path& file) const {
  auto order = csv_order();
  std::string names;
  std::string header;
  for (const auto& c : order) {
    append(names, ", ", quoted(c.name));
    append(header, ",", csv_field(c.name));
  }
  std::ofstream out(file);
  out << header << "\n";
  Statement select(db_, fmt::format("SELECT {} FROM runs ORDER BY candidate, seed", names));
  int status;
  while ((status = sqlite3_step(select.get())) == SQLITE_ROW) {
    for (int i = 0; i < static_cast<int>(order.size()); ++i) {
      if (i > 0) out << ',';
      switch (sqlite3_column_type(select.get(), i)) {
        case SQLITE_INTEGER:
          out << sqlite3_column_int64(select.get(), i);
          break;
        case SQLITE_FLOAT:
          out << fmt::format("{}", sqlite3_column_double(select.get(), i));
          break;
        case SQLITE_NULL:
          break;
        default:
          out << csv_field(reinterpret_cast<const char*>(sqlite3_column_text(select.get(), i)));
      }
    }
    out << "\n";
  }
  if (status != SQLITE_DONE)
    throw std::runtime_error(fmt::format("{}: SQLite: {}", file_.string(), sqlite3_errmsg(db_)));
  if (!out) throw InputError(fmt::format("{}: cannot write", file.string()));
}

}  // namespace moesim::study
