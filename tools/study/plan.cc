#include "tools/study/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/rng.h"
#include "sim/observe/figures.h"
#include "tools/study/results_db.h"

namespace moesim::study {

namespace {

std::set<std::string> known_figures() {
  std::set<std::string> names;
  for (const auto& [name, value] : flatten_figures(summary_template())) {
    if (value.is_number()) names.insert(name);
  }
  return names;
}

std::string check_figure(const nlohmann::ordered_json& v, const std::string& where,
                         const std::set<std::string>& known) {
  if (!v.is_string()) throw InputError(fmt::format("{}: expected a summary.json figure name", where));
  auto name = v.get<std::string>();
  if (!known.contains(name)) {
    using observe::figure;
    throw InputError(fmt::format("{}: '{}' is not a numeric summary.json figure (e.g. {}, {}, {}, {}, {})", where, name,
                                 figure("cost_usd").name, figure("nodes_avg").name, figure("ttft_p90_s").name,
                                 figure("user_tokens_per_s_p10").name, figure("requests_rejected").name));
  }
  return name;
}

double bound(const nlohmann::ordered_json& v, const std::string& where) {
  if (!v.is_number()) throw InputError(fmt::format("{}: expected a number", where));
  double x = v.get<double>();
  if (!std::isfinite(x)) throw InputError(fmt::format("{}: expected a finite number", where));
  return x;
}

}  // namespace

Space read_space(const std::filesystem::path& file) {
  const std::string origin = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", origin));
  std::ostringstream text;
  text << in.rdbuf();
  parse_json_text(text.str(), origin);  // syntax errors with line and column
  auto doc = nlohmann::ordered_json::parse(text.str());
  if (!doc.is_object())
    throw InputError(fmt::format("{}: expected an object with grid, constraints, minimize", origin));
  const auto known = known_figures();
  Space s;
  bool has_objective = false;
  for (const auto& [key, value] : doc.items()) {
    if (key == "grid") {
      s.grid = parse_grid(value, origin + ": grid");
    } else if (key == "constraints") {
      if (!value.is_object()) throw InputError(fmt::format("{}: constraints: expected an object", origin));
      for (const auto& [figure, limits] : value.items()) {
        std::string where = fmt::format("{}: constraints.{}", origin, figure);
        Constraint c{check_figure(figure, where, known)};
        if (!limits.is_object() || limits.empty())
          throw InputError(where + ": expected {\"min\": x} and/or {\"max\": y}");
        for (const auto& [k, v] : limits.items()) {
          if (k == "min") {
            c.min = bound(v, where + ".min");
          } else if (k == "max") {
            c.max = bound(v, where + ".max");
          } else {
            throw InputError(fmt::format("{}: unknown key '{}' (min, max)", where, k));
          }
        }
        if (c.min > c.max) throw InputError(where + ": min is above max");
        s.constraints.push_back(c);
      }
    } else if (key == "minimize" || key == "maximize") {
      if (has_objective) throw InputError(fmt::format("{}: one objective only (minimize or maximize)", origin));
      s.objective = check_figure(value, origin + ": " + key, known);
      s.minimize = key == "minimize";
      has_objective = true;
    } else {
      throw InputError(fmt::format("{}: unknown key '{}' (grid, constraints, minimize, maximize)", origin, key));
    }
  }
  if (!doc.contains("grid")) throw InputError(fmt::format("{}: grid is missing", origin));
  if (!has_objective) throw InputError(fmt::format("{}: an objective is missing (\"minimize\": \"cost_usd\")", origin));
  return s;
}

Verdict verdict(const Space& space, const FigureFn& figure) {
  Verdict v;
  for (const auto& c : space.constraints) {
    double x = figure(c.figure);
    if (std::isnan(x)) {
      v.unknown.push_back(c.figure);
      continue;
    }
    auto relative = [](double excess, double limit) { return excess / std::max(std::abs(limit), 1.0); };
    if (x < c.min) {
      v.feasible = false;
      v.worst_violation = std::max(v.worst_violation, relative(c.min - x, c.min));
      v.broken.push_back(fmt::format("{} {:.4g} < min {:.4g}", c.figure, x, c.min));
    } else if (x > c.max) {
      v.feasible = false;
      v.worst_violation = std::max(v.worst_violation, relative(x - c.max, c.max));
      v.broken.push_back(fmt::format("{} {:.4g} > max {:.4g}", c.figure, x, c.max));
    }
  }
  return v;
}

double objective_cost(const Space& space, const FigureFn& figure) {
  double x = figure(space.objective);
  if (std::isnan(x)) return std::numeric_limits<double>::infinity();
  return space.minimize ? x : -x;
}

std::vector<size_t> select_for_simulation(const std::vector<Verdict>& screened, const std::vector<double>& cost,
                                          int top_k, double margin, uint64_t seed) {
  std::vector<size_t> feasible, rejected;
  for (size_t i = 0; i < screened.size(); ++i) (screened[i].feasible ? feasible : rejected).push_back(i);
  std::stable_sort(feasible.begin(), feasible.end(), [&](size_t a, size_t b) { return cost[a] < cost[b]; });
  std::set<size_t> chosen;
  for (size_t k = 0; k < feasible.size(); ++k) {
    double best = cost[feasible.front()];
    bool near = margin > 0 && std::isfinite(best) && cost[feasible[k]] <= best + margin * std::abs(best);
    if (static_cast<int>(k) < top_k || near) chosen.insert(feasible[k]);
  }
  auto rng = Rng::stream(seed, "study.plan.rejected-sample");
  for (int k = 0; k < top_k && !rejected.empty(); ++k) {  // a partial Fisher-Yates draw without replacement
    size_t j = rng.below(static_cast<uint32_t>(rejected.size()));
    chosen.insert(rejected[j]);
    rejected[j] = rejected.back();
    rejected.pop_back();
  }
  return {chosen.begin(), chosen.end()};
}

std::vector<size_t> frontier(const std::vector<double>& cost, const std::vector<double>& ttft,
                             const std::vector<double>& speed) {
  std::vector<size_t> out;
  for (size_t i = 0; i < cost.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < cost.size() && !dominated; ++j) {
      bool no_worse = cost[j] <= cost[i] && ttft[j] <= ttft[i] && speed[j] >= speed[i];
      bool better = cost[j] < cost[i] || ttft[j] < ttft[i] || speed[j] > speed[i];
      dominated = j != i && no_worse && better;
    }
    if (!dominated) out.push_back(i);
  }
  std::stable_sort(out.begin(), out.end(), [&](size_t a, size_t b) { return cost[a] < cost[b]; });
  return out;
}

}  // namespace moesim::study
