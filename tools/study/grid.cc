#include "tools/study/grid.h"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/json_reader.h"

namespace moesim::study {

namespace {

// One entry of the grid: a plain key (one column) or a zip group (its columns); `tuples[i]` holds one value per
// column. The candidates are the product of the entries.
struct Entry {
  std::vector<std::string> keys;
  std::vector<std::vector<nlohmann::json>> tuples;
};

// The grid's values keep their JSON; the scenario documents are nlohmann::json (sorted keys), the grid is read
// ordered so that its columns keep the file's order.
nlohmann::json plain(const nlohmann::ordered_json& v) { return nlohmann::json::parse(v.dump()); }

class GridParser {
 public:
  explicit GridParser(const std::string& origin) : origin_(origin) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw InputError(fmt::format("{}: {}: {}", origin_, path, what));
  }

  void check_key(const std::string& key, const std::string& path) {
    if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) {
      fail(path, "expected a scenario key path like fleet.decode.units");
    }
    if (key.find('=') != std::string::npos) fail(path, "a key path has no '='");
    if (key == "seed") fail(path, "the seeds come from --seeds, not from the grid");
    if (key == "extends") fail(path, "extends is resolved before the grid applies; it cannot vary");
    if (!seen_.insert(key).second) fail(path, "this key appears twice in the grid (plain or zipped)");
  }

  const nlohmann::ordered_json& values(const nlohmann::ordered_json& v, const std::string& path) const {
    if (!v.is_array()) fail(path, fmt::format("expected a list of values, got {}", describe_json(plain(v))));
    if (v.empty()) fail(path, "expected a non-empty list of values");
    return v;
  }

  Entry plain_entry(const std::string& key, const nlohmann::ordered_json& v) {
    check_key(key, key);
    Entry e{{key}, {}};
    for (const auto& value : values(v, key)) e.tuples.push_back({plain(value)});
    return e;
  }

  Entry zip_group(const nlohmann::ordered_json& group, const std::string& path) {
    if (!group.is_object())
      fail(path, fmt::format("expected an object of key paths, got {}", describe_json(plain(group))));
    if (group.empty()) fail(path, "expected at least one key path");
    Entry e;
    std::string first;
    for (const auto& [key, v] : group.items()) {
      std::string at = path + "." + key;
      check_key(key, at);
      const auto& list = values(v, at);
      if (e.keys.empty()) {
        e.tuples.resize(list.size());
        first = key;
      } else if (list.size() != e.tuples.size()) {
        fail(at, fmt::format("expected {} values (as {}), got {}: the lists of a zip group go together",
                             e.tuples.size(), first, list.size()));
      }
      e.keys.push_back(key);
      for (size_t i = 0; i < list.size(); ++i) e.tuples[i].push_back(plain(list[i]));
    }
    return e;
  }

  std::vector<Entry> entries(const nlohmann::ordered_json& doc) {
    if (!doc.is_object()) {
      fail("(root)",
           fmt::format("expected an object of key paths and lists of values, got {}", describe_json(plain(doc))));
    }
    std::vector<Entry> out;
    for (const auto& [key, v] : doc.items()) {
      if (key != "zip") {
        out.push_back(plain_entry(key, v));
        continue;
      }
      if (!v.is_array()) fail("zip", fmt::format("expected a list of key groups, got {}", describe_json(plain(v))));
      if (v.empty()) fail("zip", "expected a non-empty list of key groups");
      for (size_t i = 0; i < v.size(); ++i) out.push_back(zip_group(v[i], fmt::format("zip[{}]", i)));
    }
    return out;
  }

 private:
  const std::string& origin_;
  std::set<std::string> seen_;
};

}  // namespace

Grid parse_grid(const nlohmann::ordered_json& doc, const std::string& origin) {
  GridParser parser(origin);
  std::vector<Entry> entries = parser.entries(doc);
  Grid g;
  size_t count = 1;
  for (const auto& e : entries) {
    g.keys.insert(g.keys.end(), e.keys.begin(), e.keys.end());
    count *= e.tuples.size();
    if (count > 1'000'000) parser.fail("(root)", "more than a million candidates; split the sweep");
  }
  // Nested loops over the entries, the last fastest: candidate c's digit for entry k in mixed radix.
  g.candidates.reserve(count);
  for (size_t c = 0; c < count; ++c) {
    std::vector<nlohmann::json> values;
    values.reserve(g.keys.size());
    size_t stride = count;
    for (const auto& e : entries) {
      stride /= e.tuples.size();
      const auto& tuple = e.tuples[(c / stride) % e.tuples.size()];
      values.insert(values.end(), tuple.begin(), tuple.end());
    }
    g.candidates.push_back(std::move(values));
  }
  return g;
}

Grid read_grid(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  parse_json_text(text.str(), file.string());  // syntax errors with line and column
  return parse_grid(nlohmann::ordered_json::parse(text.str()), file.string());
}

std::string override_for(const std::string& key, const nlohmann::json& value) { return key + "=" + value.dump(); }

}  // namespace moesim::study
