// Reading a study's results.sqlite back in tests: every row of a query as (column, value) text pairs, numbers
// written exactly (a REAL in its shortest round-trip form), NULL as "NULL".
//
//   auto rows = moesim::test::sqlite_rows(dir / "results.sqlite", "SELECT * FROM runs ORDER BY candidate, seed");
//   REQUIRE(rows[0].at("hardware") == "h800");
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace moesim::test {

using SqlRow = std::map<std::string, std::string>;

inline std::vector<SqlRow> sqlite_rows(const std::filesystem::path& file, const std::string& query) {
  sqlite3* db = nullptr;
  INFO(file.string());
  REQUIRE(sqlite3_open_v2(file.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int prepared = sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr);
  INFO(sqlite3_errmsg(db));
  REQUIRE(prepared == SQLITE_OK);
  std::vector<SqlRow> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    SqlRow row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      std::string value;
      switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
          value = std::to_string(sqlite3_column_int64(stmt, i));
          break;
        case SQLITE_FLOAT:
          value = fmt::format("{}", sqlite3_column_double(stmt, i));
          break;
        case SQLITE_NULL:
          value = "NULL";
          break;
        default:
          value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      }
      row[sqlite3_column_name(stmt, i)] = value;
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

}  // namespace moesim::test
