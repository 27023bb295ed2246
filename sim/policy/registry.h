// Registry: the policies of one kind by name, each with a one-line description and a factory. Every kind of policy
// (prefill and decode rank balancers, unit routers, expert balancers, autoscalers) has one, filled by an explicit
// register_builtin_*() call from its central list in builtins.cc (not by static constructors, which a static library
// drops). The kind's name comes from its interface's kKind.
//
//   const auto& routers = moesim::policy::builtin_unit_routers();
//   auto router = routers.make("least-loaded", UnitRouterContext{.seed = 1});
#pragma once

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace moesim::policy {

/// Policies implementing `Interface` (which names its kind in `static constexpr const char* kKind`), built from
/// `Args`. Names keep the order they were added in: the central list's order is the order users read.
template <typename Interface, typename... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Interface>(Args...)>;

  /// Registers `name`; a second registration of the same name is a std::logic_error.
  void add(std::string name, std::string description, Factory factory) {
    if (find(name) != nullptr) throw std::logic_error(fmt::format("{} registered twice: {}", kind(), name));
    entries_.push_back({std::move(name), std::move(description), std::move(factory)});
  }

  /// A new policy; an unknown name is an InputError listing the known ones.
  std::unique_ptr<Interface> make(std::string_view name, Args... args) const {
    const Entry* e = find(name);
    if (e == nullptr) throw InputError(fmt::format("unknown {} '{}' (known: {})", kind(), name, known()));
    return e->factory(std::forward<Args>(args)...);
  }

  bool contains(std::string_view name) const { return find(name) != nullptr; }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }

  /// The names, comma-separated, for error messages.
  std::string known() const {
    std::string out;
    for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.name;
    return out;
  }

  /// The one-line description; an unknown name is a std::out_of_range.
  const std::string& description(std::string_view name) const {
    const Entry* e = find(name);
    if (e == nullptr) throw std::out_of_range(fmt::format("unknown {} '{}'", kind(), name));
    return e->description;
  }

  static constexpr std::string_view kind() { return Interface::kKind; }

 private:
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };

  const Entry* find(std::string_view name) const {
    for (const auto& e : entries_) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }

  std::vector<Entry> entries_;
};

}  // namespace moesim::policy
