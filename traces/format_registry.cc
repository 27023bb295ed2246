#include "traces/format_registry.h"

#include <fmt/format.h>

#include <stdexcept>

#include "common/error.h"

namespace moesim::traces {

namespace {

constexpr std::string_view kAuto = "auto";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

void TraceFormats::add(TraceFormatEntry entry) {
  if (entry.name.empty() || entry.name == kAuto) {
    throw std::logic_error(fmt::format("a trace format cannot be called '{}'", entry.name));
  }
  if (contains(entry.name)) throw std::logic_error(fmt::format("trace format registered twice: {}", entry.name));
  if (!entry.recognises || !entry.make_reader) {
    throw std::logic_error(fmt::format("trace format {}: needs recognises and make_reader", entry.name));
  }
  entries_.push_back(std::move(entry));
}

const TraceFormatEntry* TraceFormats::find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const TraceFormatEntry& TraceFormats::get(std::string_view name) const {
  const TraceFormatEntry* e = find(name);
  if (e == nullptr) throw InputError(fmt::format("unknown trace format '{}' (known: {})", name, known()));
  return *e;
}

void TraceFormats::check(std::string_view name, std::string_view what) const {
  if (name != kAuto && !contains(name))
    throw InputError(fmt::format("{}: expected {}, got '{}'", what, expected(), name));
}

std::vector<std::string> TraceFormats::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

std::string TraceFormats::known() const {
  std::string out;
  for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

std::string TraceFormats::expected() const {
  std::string out(kAuto);
  for (size_t i = 0; i < entries_.size(); ++i) out += (i + 1 == entries_.size() ? " or " : ", ") + entries_[i].name;
  return out;
}

std::string TraceFormats::choices() const {
  std::string out(kAuto);
  for (const auto& e : entries_) out += "|" + e.name;
  return out;
}

std::string TraceFormats::writer_rule() const {
  std::string out;
  for (const auto& e : entries_) {
    std::string endings;
    for (const auto& suffix : e.writer_suffixes) endings += (endings.empty() ? "*" : ", *") + suffix;
    if (!endings.empty()) out += fmt::format("{} for {}, ", e.name, endings);
  }
  for (const auto& e : entries_) {
    if (e.make_writer) return out + (out.empty() ? "" : "else ") + e.name;
  }
  return out;
}

const TraceFormatEntry* TraceFormats::detect(std::string_view first_line) const {
  for (const auto& e : entries_) {
    if (e.recognises(first_line)) return &e;
  }
  return nullptr;
}

const TraceFormatEntry& TraceFormats::for_writing(const std::filesystem::path& path, std::string_view name) const {
  const TraceFormatEntry* chosen = nullptr;
  if (name != kAuto) {
    chosen = &get(name);
  } else {
    const std::string file = path.filename().string();
    for (const auto& e : entries_) {
      for (const auto& suffix : e.writer_suffixes) {
        if (chosen == nullptr && ends_with(file, suffix)) chosen = &e;
      }
    }
    for (const auto& e : entries_) {
      if (chosen == nullptr && e.make_writer) chosen = &e;
    }
  }
  if (chosen == nullptr || !chosen->make_writer) {
    throw InputError(fmt::format("{}: moesim cannot write the {} format", path.string(), chosen ? chosen->name : name));
  }
  return *chosen;
}

const TraceFormats& trace_formats() {
  static const TraceFormats formats = [] {
    TraceFormats f;
    register_builtin_trace_formats(f);
    return f;
  }();
  return formats;
}

}  // namespace moesim::traces
