#include "sim/cluster/node_schedule.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace moesim::cluster {

namespace {

// Plain seconds in a schedule stay within this (about 317 years), so that every time fits int64 nanoseconds.
constexpr double kMaxScheduleSeconds = 1e10;
// More nodes than any real fleet holds (a bound against typos, not a model figure).
constexpr long long kMaxScheduleNodes = 1'000'000;

}  // namespace

double parse_schedule_time(const std::string& text, const std::string& where) {
  int y, mo, d, h, mi, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &used) == 5 &&
      static_cast<size_t>(used) == text.size()) {
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59) {
      throw InputError(fmt::format("{}: not a time: \"{}\" (a field is out of range)", where, text));
    }
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
  if (text.empty() || end == text.c_str() || *end != '\0') {
    throw InputError(fmt::format("{}: not a time: \"{}\"", where, text));
  }
  // strtod also reads "nan", "inf" and overflowing numbers.
  if (!std::isfinite(v) || std::fabs(v) > kMaxScheduleSeconds) {
    throw InputError(fmt::format("{}: not a time: \"{}\" (seconds must be finite, at most 1e10)", where, text));
  }
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
    if (line.back() == '\r') line.pop_back();    // a CSV written on Windows
    if (line.empty()) continue;
    std::string where = fmt::format("{}:{}", file.string(), line_no);
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() != 3) throw InputError(fmt::format("{}: expected start,end,nodes", where));
    double start = parse_schedule_time(cells[0], where);
    if (parse_schedule_time(cells[1], where) <= start) {
      throw InputError(fmt::format("{}: end: \"{}\" is not after the start \"{}\"", where, cells[1], cells[0]));
    }
    char* end = nullptr;
    errno = 0;
    long long nodes = std::strtoll(cells[2].c_str(), &end, 10);
    if (end == cells[2].c_str() || *end != '\0' || errno == ERANGE || nodes <= 0 || nodes > kMaxScheduleNodes) {
      throw InputError(
          fmt::format("{}: nodes: expected an integer in [1, {}], got \"{}\"", where, kMaxScheduleNodes, cells[2]));
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
