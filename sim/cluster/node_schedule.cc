#include "sim/cluster/node_schedule.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace moesim::cluster {

double parse_schedule_time(const std::string& text, const std::string& where) {
  int y, mo, d, h, mi;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) == 5) {
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    y -= mo <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    double days = era * 146097.0 + doe - 719468.0;
    return days * 86400.0 + h * 3600.0 + mi * 60.0;
  }
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') throw InputError(fmt::format("{}: not a time: \"{}\"", where, text));
  return v;
}

std::vector<std::pair<double, int64_t>> read_node_schedule(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot open file", file.string()));
  std::string line;
  std::vector<std::pair<double, int64_t>> rows;
  double origin = 0.0;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;  // header
    std::string where = fmt::format("{}:{}", file.string(), line_no);
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() != 3) throw InputError(fmt::format("{}: expected start,end,nodes", where));
    double start = parse_schedule_time(cells[0], where);
    char* end = nullptr;
    long long nodes = std::strtoll(cells[2].c_str(), &end, 10);
    if (end == cells[2].c_str() || nodes <= 0) {
      throw InputError(fmt::format("{}: nodes: expected a positive integer, got \"{}\"", where, cells[2]));
    }
    if (rows.empty()) origin = start;
    double t = start - origin;
    if (!rows.empty() && t < rows.back().first) throw InputError(fmt::format("{}: rows out of order", where));
    rows.emplace_back(t, static_cast<int64_t>(nodes));
  }
  if (rows.empty()) throw InputError(fmt::format("{}: no rows", file.string()));
  return rows;
}

}  // namespace moesim::cluster
