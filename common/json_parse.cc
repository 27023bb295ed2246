#include "common/json_parse.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/error.h"

namespace moesim {

namespace {

using Json = nlohmann::json;

// Line and column (1-based) of a byte offset in `text`.
std::pair<size_t, size_t> line_col(const std::string& text, size_t offset) {
  size_t line = 1;
  size_t col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// Builds the document from nlohmann's SAX events (which come from a loop, not recursion) and stops at the first
// breach of the rules, before anything deeper than the limit exists.
class StrictBuilder final : public nlohmann::json_sax<Json> {
 public:
  explicit StrictBuilder(Json& root) : root_(root) {}

  bool null() override { return put(Json(nullptr)); }
  bool boolean(bool v) override { return put(Json(v)); }
  bool number_integer(number_integer_t v) override { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(Json(v)); }
  bool number_float(number_float_t v, const string_t& text) override {
    if (!std::isfinite(v)) return fail(fmt::format("{}: number {} is out of range", path(false), text));
    return put(Json(v));
  }
  bool string(string_t& v) override { return put(Json(std::move(v))); }
  bool binary(binary_t&) override { return fail(fmt::format("{}: binary data is not JSON", path(false))); }

  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& name) override {
    Level& level = stack_.back();
    if (level.node->contains(name)) {
      level.key = name;
      return fail(fmt::format("{}: duplicate key \"{}\" (a key may appear once in an object)", path(false), name));
    }
    level.key = std::move(name);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    syntax_detail = json_error_detail(e);
    syntax_position = position;
    syntax_error = true;
    return false;
  }

  std::string error;  ///< a breach of the rules ("path: what"), or empty
  bool syntax_error = false;
  std::string syntax_detail;
  size_t syntax_position = 0;

 private:
  struct Level {
    Json* node;
    std::string key;  // objects: the key of the value being read
  };

  // Puts a value where the parser stands: the root, the end of an array or the current key of an object.
  Json* place(Json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Level& level = stack_.back();
    if (level.node->is_array()) {
      level.node->push_back(std::move(value));
      return &level.node->back();
    }
    return &((*level.node)[level.key] = std::move(value));
  }
  bool put(Json&& value) {
    place(std::move(value));
    return true;
  }
  bool open(Json&& container) {
    if (static_cast<int>(stack_.size()) >= kMaxJsonDepth) {
      std::string where = path(false);
      if (where.size() > 80) where = where.substr(0, 77) + "...";
      return fail(fmt::format("{}: nested deeper than {} levels (the limit for moesim's JSON)", where, kMaxJsonDepth));
    }
    stack_.push_back({place(std::move(container)), {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  // The JSON path of the value being read ("fleet.decode.ep", "rows[3]"); `placed`: the value is already in its
  // array (so its index is the last one).
  std::string path(bool placed) const {
    std::string out;
    for (size_t i = 0; i < stack_.size(); ++i) {
      const Level& level = stack_[i];
      bool inner = i + 1 < stack_.size();
      if (level.node->is_array()) {
        size_t n = level.node->size();
        size_t index = (inner || placed) && n > 0 ? n - 1 : n;
        out += fmt::format("[{}]", index);
      } else {
        if (!out.empty()) out += '.';
        out += level.key;
      }
    }
    return out.empty() ? "(root)" : out;
  }
  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  Json& root_;
  std::vector<Level> stack_;
};

// Parses `text`; a syntax error is reported through the builder, a breach of the rules as an InputError.
std::optional<Json> parse_strict(const std::string& text, const std::string& origin, bool syntax_is_error) {
  Json root;
  StrictBuilder builder(root);
  bool ok = Json::sax_parse(text.begin(), text.end(), &builder);
  if (!builder.error.empty()) throw InputError(fmt::format("{}: {}", origin, builder.error));
  if (!ok || builder.syntax_error) {
    if (!syntax_is_error) return std::nullopt;
    auto [line, col] = line_col(text, builder.syntax_position == 0 ? 0 : builder.syntax_position - 1);
    throw InputError(fmt::format("{}:{}:{}: invalid JSON: {}", origin, line, col, builder.syntax_detail));
  }
  return root;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xE0) == 0xC0) {
      extra = 1, code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      extra = 2, code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      extra = 3, code = byte & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // cut short
    for (size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points beyond U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

std::string json_error_detail(const std::exception& e) {
  // "[json.exception.parse_error.101] parse error at line L, column C: ...", or for a number that overflows
  // "[json.exception.out_of_range.406] number overflow parsing '1e999'".
  std::string what = e.what();
  if (what.starts_with("[json.exception.")) {
    if (auto bracket = what.find("] "); bracket != std::string::npos) what = what.substr(bracket + 2);
  }
  if (what.starts_with("parse error")) {
    if (auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
  }
  return what;
}

nlohmann::json parse_json_text(const std::string& text, const std::string& origin) {
  return *parse_strict(text, origin, true);
}

std::optional<nlohmann::json> parse_json_value_or_nothing(const std::string& text, const std::string& origin) {
  return parse_strict(text, origin, false);
}

nlohmann::json load_json_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw InputError(fmt::format("{}: is a folder, not a file", file.string()));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", file.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_json_text(buffer.str(), file.string());
}

}  // namespace moesim
