#include "tools/study/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cctype>
#include <cmath>
#include <numeric>
#include <set>

#include "common/error.h"

namespace moesim::study {

namespace {

using observe::RunReport;

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '+' || c == '-';
  });
}

// Splits at commas that stand outside quotes, brackets and braces.
std::vector<std::string> split_assignments(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '\\' && i + 1 < text.size()) {
        current += c;
        c = text[++i];
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  parts.push_back(current);
  return parts;
}

double mean_of(std::span<const double> x) {
  return x.empty() ? 0.0 : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

std::string verdict_of(const observe::Figure& f, const PairedStats& s, const std::optional<double>& p_holm,
                       double alpha) {
  if (s.n < 2) return "no interval (one seed)";
  if (!p_holm || *p_holm > alpha || s.difference == 0.0) return "no detectable difference";
  bool up = s.difference > 0.0;
  return up == (f.better == observe::Better::kHigher) ? "better" : "worse";
}

nlohmann::json optional_json(const std::optional<double>& x) { return x ? nlohmann::json(*x) : nlohmann::json(); }

std::string optional_csv(const std::optional<double>& x) { return x ? fmt::format("{}", *x) : ""; }

}  // namespace

const std::vector<const observe::Figure*>& compare_figures() {
  static const std::vector<const observe::Figure*> figures = [] {
    std::vector<const observe::Figure*> v;
    for (const auto& f : observe::kFigures) {
      if (f.interval) v.push_back(&f);
    }
    return v;
  }();
  return figures;
}

Labels Variant::labels() const { return {{"variant", name}}; }

Variant parse_variant(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) {
    throw InputError(fmt::format("--variant {}: expected NAME:key.path=value[,key.path=value...]", text));
  }
  Variant v;
  v.name = text.substr(0, colon);
  if (!valid_name(v.name)) {
    throw InputError(fmt::format("--variant {}: a name is 1 to 64 letters, digits, '_', '.', '+' or '-'", text));
  }
  if (v.name == "baseline") {
    throw InputError(fmt::format("--variant {}: 'baseline' names the scenario as it stands; choose another", text));
  }
  std::string rest = text.substr(colon + 1);
  if (rest.empty()) throw InputError(fmt::format("--variant {}: no key.path=value to change", text));
  std::set<std::string> keys;
  for (const auto& part : split_assignments(rest)) {
    auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(fmt::format("--variant {}: '{}' is not key.path=value", v.name, part));
    }
    std::string key = part.substr(0, eq);
    if (key == "seed")
      throw InputError(fmt::format("--variant {}: the seeds come from --seeds, not a variant", v.name));
    if (!keys.insert(key).second) throw InputError(fmt::format("--variant {}: {} is given twice", v.name, key));
    v.overrides.push_back(part);
  }
  return v;
}

void check_distinct_names(const std::vector<Variant>& variants) {
  std::set<std::string> seen;
  for (const auto& v : variants) {
    if (!seen.insert(v.name).second) throw InputError(fmt::format("--variant {}: the name is given twice", v.name));
  }
}

PairedStats paired_stats(std::span<const double> baseline, std::span<const double> variant, double confidence) {
  PairedStats s;
  s.n = std::min(baseline.size(), variant.size());
  baseline = baseline.first(s.n);
  variant = variant.first(s.n);
  s.baseline_mean = mean_of(baseline);
  s.variant_mean = mean_of(variant);
  std::vector<double> d(s.n);
  for (size_t i = 0; i < s.n; ++i) d[i] = variant[i] - baseline[i];
  s.difference = mean_of(d);
  if (s.baseline_mean != 0.0) s.relative = s.difference / s.baseline_mean;
  if (s.n < 2) return s;
  double ss = 0.0;
  for (double x : d) ss += (x - s.difference) * (x - s.difference);
  double se = std::sqrt(ss / static_cast<double>(s.n - 1)) / std::sqrt(static_cast<double>(s.n));
  if (se == 0.0) {
    // Every seed gave the same difference: the interval has no width, and the test is certain either way.
    s.ci_low = s.difference;
    s.ci_high = s.difference;
    s.p_value = s.difference == 0.0 ? 1.0 : 0.0;
    return s;
  }
  boost::math::students_t t(static_cast<double>(s.n - 1));
  double half = boost::math::quantile(t, 0.5 + confidence / 2.0) * se;
  s.ci_low = s.difference - half;
  s.ci_high = s.difference + half;
  s.p_value = 2.0 * boost::math::cdf(boost::math::complement(t, std::fabs(s.difference / se)));
  return s;
}

std::vector<std::optional<double>> holm_adjust(const std::vector<std::optional<double>>& p) {
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i]) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return *p[a] < *p[b]; });
  std::vector<std::optional<double>> adjusted(p.size());
  double running = 0.0;
  const size_t m = order.size();
  for (size_t k = 0; k < m; ++k) {
    // The k-th smallest p times the hypotheses left, never below an earlier adjusted p (step-down), at most 1.
    running = std::max(running, std::min(1.0, static_cast<double>(m - k) * *p[order[k]]));
    adjusted[order[k]] = running;
  }
  return adjusted;
}

std::vector<ComparisonRow> compare_variant(const std::string& variant, std::span<const RunReport> baseline,
                                           std::span<const RunReport> runs, double confidence, double alpha) {
  std::vector<ComparisonRow> rows;
  std::vector<std::optional<double>> p;
  for (const observe::Figure* f : compare_figures()) {
    std::vector<double> a;
    std::vector<double> b;
    for (const auto& r : baseline) a.push_back(f->get(r));
    for (const auto& r : runs) b.push_back(f->get(r));
    ComparisonRow row{
        .variant = variant, .figure = f, .stats = paired_stats(a, b, confidence), .p_holm = {}, .verdict = {}};
    p.push_back(row.stats.p_value);
    rows.push_back(std::move(row));
  }
  auto adjusted = holm_adjust(p);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].p_holm = adjusted[i];
    rows[i].verdict = verdict_of(*rows[i].figure, rows[i].stats, rows[i].p_holm, alpha);
  }
  return rows;
}

nlohmann::json rows_json(const std::vector<ComparisonRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    const auto& s = r.stats;
    out.push_back({{"variant", r.variant},
                   {"metric", std::string(r.figure->name)},
                   {"better", std::string(observe::better_name(r.figure->better))},
                   {"seeds", s.n},
                   {"baseline_mean", s.baseline_mean},
                   {"variant_mean", s.variant_mean},
                   {"difference", s.difference},
                   {"ci_low", optional_json(s.ci_low)},
                   {"ci_high", optional_json(s.ci_high)},
                   {"relative", optional_json(s.relative)},
                   {"p_value", optional_json(s.p_value)},
                   {"p_holm", optional_json(r.p_holm)},
                   {"verdict", r.verdict}});
  }
  return out;
}

std::string rows_csv(const std::vector<ComparisonRow>& rows) {
  std::string out =
      "variant,metric,better,seeds,baseline_mean,variant_mean,difference,ci_low,ci_high,relative,p_value,p_holm,"
      "verdict\n";
  for (const auto& r : rows) {
    const auto& s = r.stats;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.variant, r.figure->name,
                       observe::better_name(r.figure->better), s.n, s.baseline_mean, s.variant_mean, s.difference,
                       optional_csv(s.ci_low), optional_csv(s.ci_high), optional_csv(s.relative),
                       optional_csv(s.p_value), optional_csv(r.p_holm), r.verdict);
  }
  return out;
}

std::string correction_statement(double confidence, double alpha) {
  return fmt::format(
      "intervals: each figure's own {:g} % Student-t interval on the paired differences (variant - baseline, seed by "
      "seed); verdicts: two-sided paired t-tests with Holm's step-down correction across the {} figures of each "
      "variant, family-wise error {:g} %",
      confidence * 100.0, compare_figures().size(), alpha * 100.0);
}

}  // namespace moesim::study
