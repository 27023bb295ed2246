// The node schedule of the fixed autoscaler policy: a CSV of (start, end, nodes) rows, read into (seconds from the
// first row's start, nodes) steps.
//
//   auto steps = moesim::cluster::read_node_schedule("my-schedule.csv");
//   // steps[0] == {0.0, 120}: 120 nodes from the start (the first row's nodes)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace moesim::cluster {

/// Reads a node schedule CSV (header, then rows of `start,end,nodes`; start and end either seconds or
/// "YYYY-MM-DD HH:MM" wall-clock times, taken relative to the first row's start). Errors name file:line.
std::vector<std::pair<double, int64_t>> read_node_schedule(const std::filesystem::path& file);

/// Seconds from "YYYY-MM-DD HH:MM" (days counted from 1970-01-01; only differences matter), or a plain number of
/// seconds. Anything else is an InputError that starts with `where`.
double parse_schedule_time(const std::string& text, const std::string& where);

}  // namespace moesim::cluster
