#include "traces/request.h"

#include <algorithm>

namespace moesim::traces {

namespace {

std::optional<std::string> lower_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return std::nullopt;
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  return out;
}

}  // namespace

ModelNames::ModelNames(std::string_view default_model, const std::vector<std::string>& accepted)
    : any_(accepted.empty()) {
  auto first = lower_name(default_model);
  names_.push_back(first ? *first : std::string(default_model));
  for (const auto& name : accepted) {
    auto lower = lower_name(name);
    if (lower && std::find(names_.begin(), names_.end(), *lower) == names_.end()) names_.push_back(*lower);
  }
}

std::optional<uint8_t> ModelNames::index(std::string_view name) {
  // The common case first: the name exactly as stored (most traces spell one model throughout).
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<uint8_t>(i);
  }
  auto lower = lower_name(name);
  if (!lower) return std::nullopt;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == *lower) return static_cast<uint8_t>(i);
  }
  if (!any_ || names_.size() >= kMaxNames) return std::nullopt;
  names_.push_back(*lower);
  return static_cast<uint8_t>(names_.size() - 1);
}

bool ModelNames::well_formed(std::string_view name) { return lower_name(name).has_value(); }

std::string ModelNames::accepted() const {
  if (any_) return "any name";
  std::string out;
  for (const auto& name : names_) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace moesim::traces
