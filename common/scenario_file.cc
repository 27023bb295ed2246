#include "common/scenario_file.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "common/json_reader.h"

namespace moesim {

namespace {

nlohmann::json load_with_extends(const std::filesystem::path& file, std::vector<std::filesystem::path>& chain) {
  // The error_code form: a base name from the file may make a path the system refuses (a component over 255 bytes);
  // load_json_file then says the file cannot be opened.
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(file, ec);
  if (ec) canonical = file.lexically_normal();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    throw InputError(fmt::format("{}: extends: cycle through this file", file.string()));
  }
  chain.push_back(canonical);
  nlohmann::json doc = load_json_file(file);
  if (!doc.is_object()) {
    throw InputError(fmt::format("{}: (root): expected an object, got {}", file.string(), describe_json(doc)));
  }
  nlohmann::json result = nlohmann::json::object();
  if (auto it = doc.find("extends"); it != doc.end()) {
    std::vector<std::string> bases;
    if (it->is_string()) {
      bases.push_back(it->get<std::string>());
    } else if (it->is_array() && std::all_of(it->begin(), it->end(), [](const auto& e) { return e.is_string(); })) {
      for (const auto& e : *it) bases.push_back(e.get<std::string>());
    } else {
      throw InputError(fmt::format("{}: extends: expected a file name or a list of them, got {}", file.string(),
                                   describe_json(*it)));
    }
    for (const auto& base : bases) {
      merge_json(result, load_with_extends(file.parent_path() / base, chain));
    }
    doc.erase("extends");
  }
  merge_json(result, doc);
  chain.pop_back();
  return result;
}

}  // namespace

void merge_json(nlohmann::json& base, const nlohmann::json& patch) {
  if (!base.is_object() || !patch.is_object()) {
    base = patch;
    return;
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (base.contains(it.key()) && base[it.key()].is_object() && it->is_object()) {
      merge_json(base[it.key()], *it);
    } else {
      base[it.key()] = *it;
    }
  }
}

void apply_override(nlohmann::json& doc, const std::string& full_assignment) {
  // Errors quote the assignment, cut to a readable length.
  const std::string assignment = full_assignment.size() > 100 ? full_assignment.substr(0, 97) + "..." : full_assignment;
  // Keys and string values land in JSON documents, which hold UTF-8 only (nlohmann refuses to write anything else).
  if (!is_valid_utf8(full_assignment)) {
    throw InputError(fmt::format("--set {}: not valid UTF-8 text", assignment));
  }
  auto eq = full_assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError(fmt::format("--set {}: expected key.path=value", assignment));
  }
  std::string path = full_assignment.substr(0, eq);
  std::string text = full_assignment.substr(eq + 1);
  if (std::count(path.begin(), path.end(), '.') >= kMaxJsonDepth) {
    throw InputError(fmt::format("--set {}: a key path of more than {} keys", assignment, kMaxJsonDepth));
  }
  // JSON if it parses as JSON (strictly: no duplicate keys, no deep nesting, no infinite numbers), else a string.
  nlohmann::json value = parse_json_value_or_nothing(text, fmt::format("--set {}", assignment)).value_or(text);
  nlohmann::json* node = &doc;
  size_t start = 0;
  std::string walked;
  while (true) {
    auto dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw InputError(fmt::format("--set {}: empty key in path", assignment));
    if (!node->is_object()) {
      throw InputError(fmt::format("--set {}: {} is not an object", assignment, walked.empty() ? "(root)" : walked));
    }
    if (dot == std::string::npos) {
      (*node)[key] = value;
      return;
    }
    walked += (walked.empty() ? "" : ".") + key;
    auto it = node->find(key);
    if (it == node->end()) {
      (*node)[key] = nlohmann::json::object();
      it = node->find(key);
    }
    node = &*it;
    start = dot + 1;
  }
}

nlohmann::json resolve_scenario(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  std::vector<std::filesystem::path> chain;
  nlohmann::json doc = load_with_extends(file, chain);
  for (const auto& o : overrides) apply_override(doc, o);
  return doc;
}

}  // namespace moesim
