#include "common/json_reader.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"

namespace moesim {

namespace {

std::string join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::string describe_json(const nlohmann::json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  if (value.is_null()) return "null";
  // A string read from JSON is valid UTF-8, but one set in code (from a command line) may not be: show it anyway.
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

JsonReader::JsonReader(const nlohmann::json& node, std::string file, std::string path)
    : node_(&node),
      file_(std::move(file)),
      path_(std::move(path)),
      used_(std::make_shared<std::set<std::string, std::less<>>>()) {
  if (!node.is_object()) {
    throw InputError(fmt::format("{}: {}: expected an object, got {}", file_, path_.empty() ? "(root)" : path_,
                                 describe_json(node)));
  }
}

std::string JsonReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

std::string JsonReader::where(std::string_view key) const { return fmt::format("{}: {}", file_, child_path(key)); }

void JsonReader::fail(std::string_view key, const std::string& message) const {
  throw InputError(fmt::format("{}: {}", where(key), message));
}

bool JsonReader::has(std::string_view key) const { return node_->contains(key); }

const nlohmann::json& JsonReader::required(std::string_view key) {
  auto it = node_->find(key);
  if (it == node_->end()) fail(key, "missing required key");
  used_->emplace(key);
  return *it;
}

const nlohmann::json& JsonReader::raw(std::string_view key) { return required(key); }

double JsonReader::number(std::string_view key, Range range) {
  const auto& v = required(key);
  if (!v.is_number()) fail(key, fmt::format("expected {}, got {}", range.words, describe_json(v)));
  double x = v.get<double>();
  if (!std::isfinite(x) || !range.contains(x)) fail(key, fmt::format("expected {}, got {}", range.words, v.dump()));
  return x;
}

double JsonReader::number_or(std::string_view key, double fallback, Range range) {
  return has(key) ? number(key, range) : fallback;
}

int64_t JsonReader::integer(std::string_view key, IntRange range) {
  const auto& v = required(key);
  bool integral = v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
                                            std::fabs(v.get<double>()) < 9.0e15);
  if (!integral) fail(key, fmt::format("expected {}, got {}", range.words, describe_json(v)));
  int64_t x = v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    fail(key, fmt::format("expected {}, got {}", range.words, v.dump()));
  }
  if (!range.contains(x)) fail(key, fmt::format("expected {}, got {}", range.words, v.dump()));
  return x;
}

int64_t JsonReader::integer_or(std::string_view key, int64_t fallback, IntRange range) {
  return has(key) ? integer(key, range) : fallback;
}

bool JsonReader::boolean(std::string_view key) {
  const auto& v = required(key);
  if (!v.is_boolean()) fail(key, fmt::format("expected true or false, got {}", describe_json(v)));
  return v.get<bool>();
}

bool JsonReader::boolean_or(std::string_view key, bool fallback) { return has(key) ? boolean(key) : fallback; }

std::string JsonReader::string(std::string_view key) {
  const auto& v = required(key);
  if (!v.is_string()) fail(key, fmt::format("expected a string, got {}", describe_json(v)));
  return v.get<std::string>();
}

std::string JsonReader::string_or(std::string_view key, std::string fallback) {
  return has(key) ? string(key) : std::move(fallback);
}

std::string JsonReader::choice(std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::string s = string(key);
  for (auto a : allowed) {
    if (s == a) return s;
  }
  fail(key, fmt::format("expected one of {}, got \"{}\"", join(allowed), s));
}

std::string JsonReader::choice_or(std::string_view key, std::string fallback,
                                  std::initializer_list<std::string_view> allowed) {
  return has(key) ? choice(key, allowed) : std::move(fallback);
}

std::vector<double> JsonReader::numbers(std::string_view key, Range range) {
  const auto& v = required(key);
  if (!v.is_array()) fail(key, fmt::format("expected an array of numbers, got {}", describe_json(v)));
  std::vector<double> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const auto& e = v[i];
    std::string idx = fmt::format("{}[{}]", key, i);
    if (!e.is_number()) fail(idx, fmt::format("expected {}, got {}", range.words, describe_json(e)));
    double x = e.get<double>();
    if (!std::isfinite(x) || !range.contains(x)) fail(idx, fmt::format("expected {}, got {}", range.words, e.dump()));
    out.push_back(x);
  }
  return out;
}

double JsonReader::sourced_number(std::string_view key, Range range) {
  auto field = object(key);
  double v = field.number("value", range);
  if (field.string("source").empty()) field.fail("source", "a calibration number needs a source");
  field.finish();
  return v;
}

JsonReader JsonReader::object(std::string_view key) {
  const auto& v = required(key);
  if (!v.is_object()) fail(key, fmt::format("expected an object, got {}", describe_json(v)));
  return JsonReader(v, file_, child_path(key));
}

std::optional<JsonReader> JsonReader::optional_object(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return object(key);
}

std::vector<JsonReader> JsonReader::objects(std::string_view key) {
  const auto& v = required(key);
  if (!v.is_array()) fail(key, fmt::format("expected an array of objects, got {}", describe_json(v)));
  std::vector<JsonReader> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    std::string idx = fmt::format("{}[{}]", key, i);
    if (!v[i].is_object()) fail(idx, fmt::format("expected an object, got {}", describe_json(v[i])));
    out.emplace_back(v[i], file_, child_path(idx));
  }
  return out;
}

void JsonReader::finish() const {
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    if (!used_->contains(it.key())) fail(it.key(), "unknown key");
  }
}

}  // namespace moesim
