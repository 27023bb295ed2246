// Strict reading of JSON configuration: every value is checked for type and range, every unknown key is an error,
// and every error names the file and the JSON path.
//
//   moesim::JsonReader r(moesim::load_json_file("scenarios/day.json"), "scenarios/day.json");
//   auto ep = r.object("fleet").object("decode").integer("ep", moesim::IntRange::positive());
//   r.finish();  // "scenarios/day.json: fleet.decode.epp: unknown key" if a key was never read
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_parse.h"  // load_json_file: every JSON file is read through it

namespace moesim {

/// An allowed interval for a number, with the words used in errors ("a positive number").
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  std::string_view words = "a number";

  static Range any() { return {}; }
  static Range positive() { return {0.0, std::numeric_limits<double>::infinity(), true, "a positive number"}; }
  static Range non_negative() { return {0.0, std::numeric_limits<double>::infinity(), false, "a non-negative number"}; }
  static Range fraction() { return {0.0, 1.0, false, "a number between 0 and 1"}; }
  bool contains(double v) const { return (min_exclusive ? v > min : v >= min) && v <= max; }
};

/// An allowed interval for an integer.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::string_view words = "an integer";

  static IntRange any() { return {}; }
  static IntRange positive() { return {1, std::numeric_limits<int64_t>::max(), "a positive integer"}; }
  static IntRange non_negative() { return {0, std::numeric_limits<int64_t>::max(), "a non-negative integer"}; }
  bool contains(int64_t v) const { return v >= min && v <= max; }
};

/// A strict, path-aware view of one JSON object. Reading a key marks it used; finish() rejects unused keys.
/// Readers of nested objects share the file name and extend the path.
class JsonReader {
 public:
  /// `node` must outlive the reader. `path` is the JSON path of `node` ("" for the root).
  JsonReader(const nlohmann::json& node, std::string file, std::string path = "");

  bool has(std::string_view key) const;

  double number(std::string_view key, Range range = Range::any());
  double number_or(std::string_view key, double fallback, Range range = Range::any());
  int64_t integer(std::string_view key, IntRange range = IntRange::any());
  int64_t integer_or(std::string_view key, int64_t fallback, IntRange range = IntRange::any());
  bool boolean(std::string_view key);
  bool boolean_or(std::string_view key, bool fallback);
  std::string string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  /// A string that must be one of `allowed`.
  std::string choice(std::string_view key, std::initializer_list<std::string_view> allowed);
  std::string choice_or(std::string_view key, std::string fallback, std::initializer_list<std::string_view> allowed);
  std::vector<double> numbers(std::string_view key, Range range = Range::any());
  /// A calibration number written as {"value": x, "source": "..."}: the source must be a non-empty string.
  double sourced_number(std::string_view key, Range range = Range::any());

  JsonReader object(std::string_view key);
  std::optional<JsonReader> optional_object(std::string_view key);
  /// An array of objects, each read strictly.
  std::vector<JsonReader> objects(std::string_view key);
  /// The raw value of a key (marked used); for values read by another strict reader.
  const nlohmann::json& raw(std::string_view key);

  /// Throws InputError if any key of the object was never read.
  void finish() const;

  /// "file: path.key" for messages.
  std::string where(std::string_view key) const;
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  const nlohmann::json& node() const { return *node_; }

 private:
  const nlohmann::json& required(std::string_view key);
  std::string child_path(std::string_view key) const;

  const nlohmann::json* node_;
  std::string file_;
  std::string path_;
  std::shared_ptr<std::set<std::string, std::less<>>> used_;
};

/// Short rendering of a JSON value for error messages ("-4", "\"abc\"", "an object").
std::string describe_json(const nlohmann::json& value);

}  // namespace moesim
