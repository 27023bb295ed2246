#include "tools/study/plan_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <set>

#include "common/rng.h"

namespace moesim::study {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double relative(double excess, double bound) { return excess / std::max(std::abs(bound), 1.0); }

// "14.2 [13.1, 14.9]", or "14.2" without an interval.
std::string shown(const Estimate& e) {
  if (!e.has_interval()) return fmt::format("{:.4g}", e.mean);
  return fmt::format("{:.4g} [{:.4g}, {:.4g}]", e.mean, e.low, e.high);
}

// The far ends of the estimate that a bound judges: the interval's, or the value itself with one seed.
double upper_end(const Estimate& e) { return e.has_interval() ? e.high : e.mean; }
double lower_end(const Estimate& e) { return e.has_interval() ? e.low : e.mean; }

// Mean ranks (1-based; ties share their mean rank).
std::vector<double> ranks_of(std::span<const double> x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double mean_rank = (static_cast<double>(i + j) / 2.0) + 1.0;
    for (size_t k = i; k <= j; ++k) r[order[k]] = mean_rank;
    i = j + 1;
  }
  return r;
}

double pearson(std::span<const double> a, std::span<const double> b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (saa == 0 || sbb == 0) return std::nan("");
  return sab / std::sqrt(saa * sbb);
}

// One candidate drawn from each of `strata` equal slices of `order` (ascending by some key), skipping those already
// taken; slices whose candidates are all taken give none.
void draw_strata(const std::vector<size_t>& order, int strata, Rng& rng, std::set<size_t>& taken) {
  const size_t m = order.size();
  for (int s = 0; s < strata; ++s) {
    const size_t begin = m * static_cast<size_t>(s) / static_cast<size_t>(strata);
    const size_t end = m * static_cast<size_t>(s + 1) / static_cast<size_t>(strata);
    std::vector<size_t> left;
    for (size_t k = begin; k < end; ++k) {
      if (!taken.contains(order[k])) left.push_back(order[k]);
    }
    if (!left.empty()) taken.insert(left[rng.below(static_cast<uint32_t>(left.size()))]);
  }
}

}  // namespace

Estimate estimate(std::span<const double> values, double confidence) {
  Estimate e;
  std::vector<double> x;
  for (double v : values) {
    if (std::isfinite(v)) x.push_back(v);
  }
  e.n = static_cast<int>(x.size());
  if (x.empty()) return e;
  e.mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  if (x.size() < 2) return e;
  double ss = 0;
  for (double v : x) ss += (v - e.mean) * (v - e.mean);
  e.sd = std::sqrt(ss / static_cast<double>(x.size() - 1));
  const boost::math::students_t t(static_cast<double>(x.size() - 1));
  const double half = boost::math::quantile(t, 0.5 + confidence / 2.0) * e.sd / std::sqrt(static_cast<double>(e.n));
  e.low = e.mean - half;
  e.high = e.mean + half;
  return e;
}

Verdict verdict_on_intervals(const Space& space, const EstimateFn& figure) {
  Verdict v;
  for (const auto& c : space.constraints) {
    const Estimate e = figure(c.figure);
    if (e.n == 0) {
      v.unknown.push_back(c.figure);
      continue;
    }
    if (e.mean < c.min || e.mean > c.max) {
      const bool low = e.mean < c.min;
      v.feasible = false;
      v.worst_violation =
          std::max(v.worst_violation, low ? relative(c.min - e.mean, c.min) : relative(e.mean - c.max, c.max));
      v.broken.push_back(low ? fmt::format("{} {} < min {:.4g}", c.figure, shown(e), c.min)
                             : fmt::format("{} {} > max {:.4g}", c.figure, shown(e), c.max));
    } else if (lower_end(e) < c.min || upper_end(e) > c.max) {
      v.feasible = false;
      v.undecided.push_back(lower_end(e) < c.min
                                ? fmt::format("{} {}: the interval reaches below min {:.4g}", c.figure, shown(e), c.min)
                                : fmt::format("{} {}: the interval reaches above max {:.4g}", c.figure, shown(e), c.max));
    }
  }
  return v;
}

std::optional<Binding> binding_constraint(const Space& space, const EstimateFn& figure) {
  std::optional<Binding> best;
  std::optional<Binding> at_bound;  // a figure every seed puts exactly on its bound (no rejection of max 0)
  for (const auto& c : space.constraints) {
    const Estimate e = figure(c.figure);
    if (e.n == 0) continue;
    if (lower_end(e) == upper_end(e) && (e.mean == c.max || e.mean == c.min)) {
      if (!at_bound) at_bound = Binding{c.figure, 0.0, fmt::format("{} {} at its bound", c.figure, shown(e))};
      continue;
    }
    auto consider = [&](double slack, const std::string& bound) {
      if (best && best->slack <= slack) return;
      best = Binding{c.figure, slack, fmt::format("{} {} {} (slack {:.1f} %)", c.figure, shown(e), bound, 100 * slack)};
    };
    if (c.max < 1e300) consider(relative(c.max - upper_end(e), c.max), fmt::format("<= max {:.4g}", c.max));
    if (c.min > -1e300) consider(relative(lower_end(e) - c.min, c.min), fmt::format(">= min {:.4g}", c.min));
  }
  return best ? best : at_bound;
}

double least_slack(const Space& space, const FigureFn& figure) {
  double least = kInf;
  for (const auto& c : space.constraints) {
    const double x = figure(c.figure);
    if (std::isnan(x)) continue;
    if (c.max < 1e300) least = std::min(least, relative(c.max - x, c.max));
    if (c.min > -1e300) least = std::min(least, relative(x - c.min, c.min));
  }
  return least;
}

std::optional<size_t> cheaper_neighbour(const std::vector<double>& cost, const std::vector<bool>& usable,
                                        size_t answer) {
  std::optional<size_t> best;
  for (size_t i = 0; i < cost.size(); ++i) {
    if (i == answer || !usable[i] || !(cost[i] < cost[answer])) continue;
    if (!best || cost[i] > cost[*best]) best = i;
  }
  return best;
}

std::vector<size_t> stratified_sample(const std::vector<double>& cost, const std::vector<double>& slack,
                                      const std::vector<bool>& usable, int n, uint64_t seed) {
  std::vector<size_t> pool;
  for (size_t i = 0; i < usable.size(); ++i) {
    if (usable[i]) pool.push_back(i);
  }
  std::set<size_t> taken;
  if (n <= 0 || pool.empty()) return {};
  if (static_cast<size_t>(n) >= pool.size()) return pool;
  auto by = [&](const std::vector<double>& key) {
    std::vector<size_t> order = pool;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
    return order;
  };
  auto rng = Rng::stream(seed, "study.plan.screen-sample");
  draw_strata(by(cost), (n + 1) / 2, rng, taken);
  draw_strata(by(slack), n / 2, rng, taken);
  // Strata left empty by repeats: fill from what is left, at random, up to n.
  std::vector<size_t> left;
  for (size_t i : pool) {
    if (!taken.contains(i)) left.push_back(i);
  }
  while (static_cast<int>(taken.size()) < n && !left.empty()) {
    const size_t j = rng.below(static_cast<uint32_t>(left.size()));
    taken.insert(left[j]);
    left[j] = left.back();
    left.pop_back();
  }
  return {taken.begin(), taken.end()};
}

double spearman(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size() || a.size() < 2) return std::nan("");
  const auto ra = ranks_of(a);
  const auto rb = ranks_of(b);
  return pearson(ra, rb);
}

double median_relative_error(std::span<const double> screen, std::span<const double> simulation) {
  std::vector<double> e;
  for (size_t i = 0; i < screen.size() && i < simulation.size(); ++i) {
    if (std::isfinite(screen[i]) && std::isfinite(simulation[i]) && simulation[i] != 0) {
      e.push_back(std::abs(screen[i] / simulation[i] - 1.0));
    }
  }
  if (e.empty()) return std::nan("");
  std::sort(e.begin(), e.end());
  const size_t m = e.size() / 2;
  return e.size() % 2 == 1 ? e[m] : (e[m - 1] + e[m]) / 2.0;
}

}  // namespace moesim::study
