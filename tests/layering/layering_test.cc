// The layering of the house (docs/architecture.md, "Layout"), checked on the source tree itself:
// - each folder's `#include "..."` of project headers names only itself and the folders the table below allows;
// - each `moesim_library(NAME DIR DEPS...)` line of CMakeLists.txt builds the table's folder and links only the
//   libraries of the folders that folder may use;
// - the unit geometry (8 GPUs per node, 256 routed experts) is written as a literal only in hardware/, models/llm/
//   and tests/; elsewhere it comes from llm::UnitGeometry. tests/layering/literal_allowlist.txt lists the exceptions,
//   each with its reason; an entry that no longer matches anything fails too, so the list only shrinks;
// - no top-level function of a .cc file is longer than 100 lines (tests/layering/function_length_allowlist.txt lists
//   the exceptions, each with its reason; likewise an entry that no longer matches fails).
// Failures print file:line and the offending text.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = MOESIM_SOURCE_DIR;

struct Layer {
  std::string dir;                ///< folder, relative to the root
  std::string library;            ///< its CMake target
  std::set<std::string> may_use;  ///< the folders below it that it may include and link
};

// Allowed arrows, downward only: common uses nothing of ours; sim/engine and hardware nothing but common; traces
// neither models/ nor sim/; models/ nothing of sim/.
const std::vector<Layer> kLayers = {
    {"common", "moesim_common", {}},
    {"sim/engine", "moesim_engine", {"common"}},
    {"hardware", "moesim_hardware", {"common"}},
    {"models/llm", "moesim_llm", {"common", "hardware"}},
    {"models/cost", "moesim_cost", {"common", "hardware", "models/llm"}},
    {"models/pipeline", "moesim_pipeline", {"common", "hardware", "models/llm", "models/cost"}},
    {"models/calibrate", "moesim_calibrate", {"common", "hardware", "models/llm", "models/cost"}},
    {"traces", "moesim_traces", {"common"}},
    {"sim/policy", "moesim_policy", {"common", "sim/engine", "hardware", "models/llm", "models/cost"}},
    {"sim/observe", "moesim_observe", {"common", "sim/engine"}},
    {"sim/cluster",
     "moesim_cluster",
     {"common", "sim/engine", "hardware", "models/llm", "models/cost", "models/pipeline", "traces", "sim/policy",
      "sim/observe"}},
    // The study runner sits above the simulation: it runs whole scenarios (tools/ and tests/ use anything).
    {"tools/study",
     "moesim_study",
     {"common", "sim/engine", "hardware", "models/llm", "models/cost", "models/pipeline", "traces", "sim/policy",
      "sim/observe", "sim/cluster"}},
};

// Top folders whose sources are layered (tools/ and tests/ sit above everything and may use anything).
const std::vector<std::string> kLayeredRoots = {"common", "sim", "hardware", "models", "traces"};
// Top folders of ours: an include that starts with one of them is a project header.
const std::set<std::string> kOurRoots = {"common", "sim", "hardware", "models", "traces", "tools", "tests"};

bool is_source(const fs::path& p) {
  auto e = p.extension();
  return e == ".h" || e == ".cc" || e == ".cu";
}

std::string rel_path(const fs::path& p) { return fs::relative(p, kRoot).generic_string(); }

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// The layer a path (a file or an include) belongs to: the table's longest folder that holds it.
const Layer* layer_of(const std::string& path) {
  const Layer* best = nullptr;
  for (const auto& l : kLayers)
    if (under(path, l.dir) && (!best || l.dir.size() > best->dir.size())) best = &l;
  return best;
}

std::vector<fs::path> sources_under(const std::vector<std::string>& roots) {
  std::vector<fs::path> files;
  for (const auto& r : roots)
    for (const auto& e : fs::recursive_directory_iterator(kRoot / r))
      if (e.is_regular_file() && is_source(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The code of each line with comments blanked out (string and character literals kept: help text counts).
std::vector<std::string> code_lines(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  bool block = false;
  for (const auto& line : lines) {
    std::string code;
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      char next = i + 1 < line.size() ? line[i + 1] : '\0';
      if (block) {
        if (c == '*' && next == '/') block = false, ++i;
        continue;
      }
      if (quote) {
        code += c;
        if (c == '\\' && next)
          code += next, ++i;
        else if (c == quote)
          quote = 0;
        continue;
      }
      if (c == '/' && next == '/') break;
      if (c == '/' && next == '*') {
        block = true, ++i;
        code += ' ';
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      code += c;
    }
    out.push_back(code);
  }
  return out;
}

// --- literals -------------------------------------------------------------------------------------------------

struct LiteralPattern {
  const char* what;
  std::regex re;
};

// Specific on purpose: the unit geometry written by hand, not every 8 in the code.
const std::vector<LiteralPattern>& literal_patterns() {
  static const std::vector<LiteralPattern> patterns = {
      {"GPUs per node (x * 8, x / 8, x % 8)", std::regex(R"([*/%]\s*8(?![\w.]))")},
      {"GPUs per node (8 * x)", std::regex(R"((^|[^\w.])8\s*[*/](?![*/]))")},
      {"GPUs per node (8 GPUs)", std::regex(R"((^|[^\w.])8 GPUs)")},
      {"GPUs per node (gpus... = 8)", std::regex(R"([Gg][Pp][Uu][Ss]\w*\s*=\s*8(?![\w.]))")},
      {"routed experts (256)", std::regex(R"((^|[^\w.])256(?![\w.]))")},
  };
  return patterns;
}

// The first pattern a line of code matches, or null.
const LiteralPattern* literal_in(const std::string& code) {
  for (const auto& p : literal_patterns())
    if (std::regex_search(code, p.re)) return &p;
  return nullptr;
}

struct AllowEntry {
  std::string file;
  std::string fragment;
  std::string reason;
  int line = 0;  ///< in the allowlist
  bool used = false;
};

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Lines `FILE | CODE FRAGMENT | REASON`; # starts a comment line.
std::vector<AllowEntry> read_allowlist(const fs::path& file, std::vector<std::string>& errors) {
  std::vector<AllowEntry> entries;
  auto lines = read_lines(file);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find(" | ");
    size_t b = a == std::string::npos ? a : line.find(" | ", a + 3);
    std::string where = rel_path(file) + ":" + std::to_string(i + 1);
    if (b == std::string::npos || trim(line.substr(b + 3)).empty()) {
      errors.push_back(where + ": expected FILE | CODE FRAGMENT | REASON");
      continue;
    }
    entries.push_back({trim(line.substr(0, a)), trim(line.substr(a + 3, b - a - 3)), trim(line.substr(b + 3)),
                       static_cast<int>(i + 1)});
  }
  return entries;
}

bool literal_exempt(const std::string& path) {
  return under(path, "hardware") || under(path, "models/llm") || under(path, "tests");
}

}  // namespace

TEST_CASE("layering: every layered source file belongs to a folder of the layering table") {
  for (const auto& file : sources_under(kLayeredRoots)) {
    std::string path = rel_path(file);
    if (!layer_of(path)) FAIL_CHECK(path << ": its folder is not in tests/layering's table; add it with its arrows");
  }
}

TEST_CASE("layering: each folder includes only itself and the folders below it") {
  const std::regex include(R"re(^\s*#\s*include\s*"([^"]+)")re");
  int checked = 0;
  for (const auto& file : sources_under(kLayeredRoots)) {
    std::string path = rel_path(file);
    const Layer* from = layer_of(path);
    if (!from) continue;  // reported by the test above
    auto lines = read_lines(file);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::smatch m;
      if (!std::regex_search(lines[i], m, include)) continue;
      std::string target = m[1];
      std::string top = target.substr(0, target.find('/'));
      if (target.find('/') == std::string::npos || !kOurRoots.count(top)) continue;  // local or external header
      ++checked;
      const Layer* to = layer_of(target);
      if (to == from || (to && from->may_use.count(to->dir))) continue;
      FAIL_CHECK(path << ":" << i + 1 << ": " << from->dir << "/ must not include \"" << target << "\"");
    }
  }
  CHECK(checked > 100);  // the scan found the project's includes
}

TEST_CASE("layering: the prefill side and the decode side never include each other, even through other headers") {
  // The project headers each file of sim/cluster/ reaches, directly or through other headers.
  const std::regex include(R"re(^\s*#\s*include\s*"(sim/cluster/[^"]+)")re");
  std::map<std::string, std::vector<std::string>> direct;
  for (const auto& file : sources_under({"sim/cluster"})) {
    for (const auto& line : read_lines(file)) {
      std::smatch m;
      if (std::regex_search(line, m, include)) direct[rel_path(file)].push_back(m[1]);
    }
  }
  auto reached = [&](const std::string& from) {
    std::set<std::string> seen;
    std::vector<std::string> todo{from};
    while (!todo.empty()) {
      std::string f = todo.back();
      todo.pop_back();
      for (const auto& to : direct[f])
        if (seen.insert(to).second) todo.push_back(to);
    }
    return seen;
  };
  const std::vector<std::string> prefill = {"sim/cluster/prefill_side.h", "sim/cluster/prefill_side.cc",
                                            "sim/cluster/prefill_unit.h", "sim/cluster/prefill_unit.cc"};
  const std::vector<std::string> decode = {"sim/cluster/decode_side.h", "sim/cluster/decode_side.cc",
                                           "sim/cluster/decode_unit.h", "sim/cluster/decode_unit.cc"};
  auto check = [&](const std::vector<std::string>& side, const std::vector<std::string>& other) {
    for (const auto& file : side) {
      REQUIRE(direct.count(file));  // the file exists and includes something
      auto seen = reached(file);
      for (const auto& o : other)
        if (seen.count(o)) FAIL_CHECK(file << " reaches " << o << ": the sides meet only through kv_link.h");
      CHECK(seen.count("sim/cluster/kv_link.h") + seen.count("sim/cluster/unit_context.h") > 0);
    }
  };
  check(prefill, decode);
  check(decode, prefill);
}

TEST_CASE("layering: no test case name holds a semicolon (CTest would cut the name there and run nothing)") {
  // catch_discover_tests hands each name to CTest as a list element: a ';' splits it, the filter then matches no test
  // case, and the test "passes" without running.
  const std::regex test_case(R"re(TEST_CASE\(\s*"([^"]*)")re");
  int seen = 0;
  for (const auto& file : sources_under({"tests"})) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    for (std::sregex_iterator it(all.begin(), all.end(), test_case), end; it != end; ++it) {
      ++seen;
      if ((*it)[1].str().find(';') != std::string::npos) FAIL_CHECK(rel_path(file) << ": \"" << (*it)[1] << "\"");
    }
  }
  CHECK(seen > 300);
}

TEST_CASE("layering: each library in CMakeLists.txt builds its folder and links only the libraries below it") {
  std::map<std::string, const Layer*> by_library;
  for (const auto& l : kLayers) by_library[l.library] = &l;
  const std::regex library(R"(^\s*moesim_library\(\s*(\S+)\s+(\S+)([^)]*)\))");
  std::set<std::string> seen;
  auto lines = read_lines(kRoot / "CMakeLists.txt");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(lines[i], m, library)) continue;
    std::string where = "CMakeLists.txt:" + std::to_string(i + 1) + ": ";
    std::string name = m[1], dir = m[2];
    auto it = by_library.find(name);
    if (it == by_library.end()) {
      FAIL_CHECK(where << name << " is not in tests/layering's table; add it with its arrows");
      continue;
    }
    const Layer& layer = *it->second;
    seen.insert(name);
    if (dir != layer.dir) FAIL_CHECK(where << name << " builds " << dir << "/, the table says " << layer.dir << "/");
    std::istringstream deps(m[3].str());
    for (std::string dep; deps >> dep;) {
      if (dep.rfind("moesim_", 0) != 0) continue;  // a third-party target
      auto d = by_library.find(dep);
      if (d == by_library.end()) {
        FAIL_CHECK(where << name << " links " << dep << ", which is not a layered library");
      } else if (!layer.may_use.count(d->second->dir)) {
        FAIL_CHECK(where << name << " (" << layer.dir << "/) must not link " << dep << " (" << d->second->dir << "/)");
      }
    }
  }
  for (const auto& l : kLayers)
    if (!seen.count(l.library)) FAIL_CHECK("CMakeLists.txt has no moesim_library(" << l.library << " ...) line");
}

TEST_CASE("layering: the literal check flags written-out geometry in code, not comments, identifiers or 8.0") {
  auto flagged = [](const std::string& line) { return literal_in(code_lines({line})[0]) != nullptr; };
  CHECK(flagged("  int gpus = static_cast<int>(p.nodes_per_unit * 8);"));
  CHECK(flagged("  int nodes = o.ep / 8;"));
  CHECK(flagged("  if (o.ep % 8 != 0) fail();"));
  CHECK(flagged("  int slots = 256 + redundant;"));
  CHECK(flagged("  constexpr int64_t kGpusPerNode = 8;"));
  CHECK(flagged(R"(  help("nodes of 8 GPUs");)"));
  CHECK_FALSE(flagged("  // 256 experts, 8 GPUs a node: nodes * 8"));
  CHECK(flagged("  f(/*experts=*/256);"));  // a block comment hides only itself
  CHECK_FALSE(flagged("  Xoshiro256pp rng; int v = 128 * x; double y = 8.0 * z; int w = x / 80;"));
  CHECK_FALSE(flagged("  fmt::print(\"{:>8}\", x);"));
}

TEST_CASE("layering: no GPUs-per-node or expert-count literal outside hardware/, models/llm/ and tests/") {
  std::vector<std::string> errors;
  const fs::path allowlist_file = kRoot / "tests/layering/literal_allowlist.txt";
  auto allow = read_allowlist(allowlist_file, errors);
  for (const auto& e : errors) FAIL_CHECK(e);
  for (const auto& file : sources_under({"common", "sim", "models", "traces", "tools"})) {
    std::string path = rel_path(file);
    if (literal_exempt(path)) continue;
    auto lines = read_lines(file);
    auto code = code_lines(lines);
    for (size_t i = 0; i < code.size(); ++i) {
      const LiteralPattern* p = literal_in(code[i]);
      if (!p) continue;
      auto ok = std::find_if(allow.begin(), allow.end(), [&](const AllowEntry& e) {
        return e.file == path && code[i].find(e.fragment) != std::string::npos;
      });
      if (ok != allow.end()) {
        ok->used = true;
        continue;
      }
      FAIL_CHECK(path << ":" << i + 1 << ": " << p->what << " written by hand: " << trim(lines[i])
                      << "\n  take it from llm::UnitGeometry, or add `" << path
                      << " | FRAGMENT | REASON` to tests/layering/literal_allowlist.txt");
    }
  }
  for (const auto& e : allow)
    if (!e.used)
      FAIL_CHECK(rel_path(allowlist_file) << ":" << e.line << ": matches nothing in " << e.file << "; remove it");
}

// Rule 7 and issue 17: every JSON file is read through common/json_parse (duplicate keys, deep nesting and
// overflowing numbers refused). The few places that parse JSON text themselves, each with its reason:
TEST_CASE("layering: JSON is parsed only by common/json_parse, but for a reasoned few") {
  const std::map<std::string, std::string> allowed = {
      {"common/json_parse.cc", "the strict parser itself"},
      {"traces/mooncake_format.cc", "one SAX pass a trace line, with its own duplicate-key check"},
      {"tools/study/grid.cc", "an ordered copy of a grid file that parse_json_text has checked first"},
      {"tools/study/plan.cc", "an ordered copy of a space file that parse_json_text has checked first"},
      {"tools/study/runner.cc", "a result one rank sends another, written by moesim itself"},
      {"tools/cmd_model.cc", "an ordered copy of a model file that load_model has checked first (show, in file order)"},
  };
  std::set<std::string> seen;
  for (const auto& file : sources_under({"common", "hardware", "sim", "models", "traces", "tools"})) {
    std::string path = rel_path(file);
    for (const auto& line : code_lines(read_lines(file))) {
      if (line.find("json::parse(") == std::string::npos && line.find("sax_parse(") == std::string::npos) continue;
      if (allowed.count(path)) {
        seen.insert(path);
        continue;
      }
      FAIL_CHECK(path << ": parses JSON itself: " << trim(line)
                      << "\n  read files with moesim::load_json_file (common/json_parse.h)");
    }
  }
  for (const auto& [path, why] : allowed)
    if (!seen.count(path)) FAIL_CHECK(path << " is allowed to parse JSON (" << why << ") but does not; remove it");
}

// --- function length ------------------------------------------------------------------------------------------

constexpr int kMaxFunctionLines = 100;

struct FunctionSpan {
  int line = 0;    ///< 1-based, the definition's first line
  int length = 0;  ///< lines from the definition's first line to its closing brace, both counted
  std::string head;
};

// Whether `line` starts with the keyword `word` (not with a longer identifier).
bool opens_with(const std::string& line, const char* word) {
  const size_t n = std::strlen(word);
  if (line.compare(0, n, word) != 0) return false;
  return line.size() == n || !(std::isalnum(static_cast<unsigned char>(line[n])) || line[n] == '_');
}

// Top-level function bodies: a definition that starts at column 0 (its signature may wrap onto indented lines), ends
// its last signature line with `{`, and closes with the next `}` at column 0. Namespaces, types (their methods are
// indented) and tables (`= {`) are not functions.
std::vector<FunctionSpan> function_spans(const std::vector<std::string>& lines) {
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  auto rtrim = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
  };
  std::vector<FunctionSpan> spans;
  int start = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string code = rtrim(line);
    bool column0 = !line.empty() && !std::isspace(static_cast<unsigned char>(line[0]));
    if (start < 0 && column0 && line[0] != '}' && line[0] != '#' && line.rfind("//", 0) != 0)
      start = static_cast<int>(i);
    if (start < 0) continue;
    if (ends_with(code, "{") && !ends_with(code, "= {")) {
      // A template's head line, then the declaration it introduces.
      size_t first = static_cast<size_t>(start);
      if (opens_with(lines[first], "template") && first < i) ++first;
      const std::string& head = lines[first];
      size_t end = i + 1;
      bool type = false;
      for (const char* word : {"namespace", "struct", "class", "enum", "union", "extern"})
        type = type || opens_with(head, word);
      if (opens_with(head, "namespace") || opens_with(head, "extern")) {  // its contents are top level
        start = -1;
        continue;
      }
      while (end < lines.size() && (lines[end].empty() || lines[end][0] != '}')) ++end;
      if (!type) spans.push_back({start + 1, static_cast<int>(end) - start + 1, trim(head)});
      start = -1;
      i = end;
      continue;
    }
    if (code.empty() || ends_with(code, ";") || ends_with(code, "}")) start = -1;
  }
  return spans;
}

TEST_CASE("layering: the function-length scan measures top-level bodies, wrapped signatures included") {
  const std::vector<std::string> text = {
      "namespace moesim {",                 // 1: not a function
      "const std::vector<int> kTable = {",  // 2: a table
      "    1, 2};",                         // 3
      "struct Row {",                       // 4: a type
      "  int f() {",                        // 5
      "    return 1;",                      // 6
      "  }",                                // 7
      "};",                                 // 8
      "int one() {",                        // 9: 3 lines
      "  return 1;",                        // 10
      "}",                                  // 11
      "std::vector<int> wrapped(int a,",    // 12: 5 lines, its signature on two
      "                         int b) {",  // 13
      "  if (a) {",                         // 14
      "  }",                                // 15
      "}",                                  // 16
      "template <typename T>",              // 17: a type
      "struct Box {",                       // 18
      "  T value;",                         // 19
      "};",                                 // 20
      "template <typename T>",              // 21: a function, named by its second line
      "T twice(T x) {",                     // 22
      "  return x + x;",                    // 23
      "}",                                  // 24
      "}  // namespace moesim",             // 25
  };
  auto spans = function_spans(text);
  REQUIRE(spans.size() == 3);
  CHECK(spans[0].line == 9);
  CHECK(spans[0].length == 3);
  CHECK(spans[1].line == 12);
  CHECK(spans[1].length == 5);
  CHECK(spans[1].head == "std::vector<int> wrapped(int a,");
  CHECK(spans[2].line == 21);
  CHECK(spans[2].length == 4);
  CHECK(spans[2].head == "T twice(T x) {");
}

TEST_CASE("layering: no function is longer than 100 lines") {
  std::vector<std::string> errors;
  const fs::path allowlist_file = kRoot / "tests/layering/function_length_allowlist.txt";
  auto allow = read_allowlist(allowlist_file, errors);
  for (const auto& e : errors) FAIL_CHECK(e);
  int scanned = 0;
  for (const auto& file : sources_under({"common", "hardware", "models", "sim", "traces", "tools"})) {
    if (file.extension() != ".cc") continue;
    std::string path = rel_path(file);
    for (const auto& f : function_spans(read_lines(file))) {
      ++scanned;
      if (f.length <= kMaxFunctionLines) continue;
      auto ok = std::find_if(allow.begin(), allow.end(), [&](const AllowEntry& e) {
        return e.file == path && f.head.find(e.fragment) != std::string::npos;
      });
      if (ok != allow.end()) {
        ok->used = true;
        continue;
      }
      FAIL_CHECK(path << ":" << f.line << ": " << f.length << " lines (at most " << kMaxFunctionLines << "): " << f.head
                      << "\n  split it along its jobs, or add `" << path
                      << " | FRAGMENT OF ITS FIRST LINE | REASON` to tests/layering/function_length_allowlist.txt");
    }
  }
  CHECK(scanned > 500);  // the scan found the project's functions
  for (const auto& e : allow)
    if (!e.used)
      FAIL_CHECK(rel_path(allowlist_file) << ":" << e.line << ": no function over " << kMaxFunctionLines << " lines in "
                                          << e.file << " starts with it; remove it");
}
