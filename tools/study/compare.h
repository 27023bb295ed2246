// A policy comparison's statistics (moesim compare): the figures users judge a run by (the catalogue's figures with
// an interval, sim/observe/figures.h, each with the direction that counts as better); variants parsed from the
// command line; paired differences over seeds with a Student-t
// confidence interval (Boost.Math), the relative change and a verdict, with Holm's step-down correction across the
// figures of each variant. Pure functions over run reports: tools/cmd_compare.cc runs the jobs and writes the files.
//
//   Variant v = parse_variant("rr:fleet.decode.balancer=round-robin");
//   auto rows = compare_variant("rr", baseline_reports, variant_reports);  // one row per figure
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/observe/figures.h"
#include "sim/observe/run_report.h"
#include "tools/study/runner.h"

namespace moesim::study {

/// The figures compared, in the catalogue's order: TTFT p50/p90/p99, per-user tokens/s mean and p10, end to end
/// p50/p99, decode and prefill step means, rank and expert balancedness, nodes, cost, rejections.
const std::vector<const observe::Figure*>& compare_figures();

/// One variant: its name and the key-path overrides (`key.path=value`, as --set takes them) that make it.
struct Variant {
  std::string name;
  std::vector<std::string> overrides;
  Labels labels() const;  ///< {"variant": name}
};

/// Parses `NAME:key=value[,key=value...]`. Commas inside quotes, brackets or braces do not split (a JSON list or
/// object value). The name is letters, digits and `_ . + -`, and not `baseline`; a key is given once; `seed` is not
/// a variant key (the seeds come from --seeds). Syntax errors are InputErrors quoting the argument.
Variant parse_variant(const std::string& text);

/// Rejects a name given twice (InputError).
void check_distinct_names(const std::vector<Variant>& variants);

/// The paired statistics of one figure over seeds (seed i of the variant paired with seed i of the baseline).
struct PairedStats {
  size_t n = 0;
  double baseline_mean = 0.0;
  double variant_mean = 0.0;
  double difference = 0.0;         ///< mean of variant - baseline
  std::optional<double> ci_low{};  ///< the interval; absent with one seed (no interval possible)
  std::optional<double> ci_high{};
  std::optional<double> relative{};  ///< difference / baseline_mean; absent when the baseline mean is 0
  std::optional<double> p_value{};   ///< two-sided paired t-test; absent with one seed
};

/// Student-t interval on the paired differences: mean +- t(confidence, n-1) sd / sqrt(n). Zero variance gives a
/// zero-width interval and p = 0 (a difference every seed agrees on) or p = 1 (no difference at all).
PairedStats paired_stats(std::span<const double> baseline, std::span<const double> variant, double confidence = 0.95);

/// Holm's step-down adjusted p-values, in the input order; absent entries stay absent and do not count.
std::vector<std::optional<double>> holm_adjust(const std::vector<std::optional<double>>& p);

struct ComparisonRow {
  std::string variant;
  const observe::Figure* figure = nullptr;
  PairedStats stats;
  std::optional<double> p_holm;
  std::string verdict;  ///< better | worse | no detectable difference | no interval (one seed)
};

/// Every figure of one variant against the baseline, reports in seed order (same length); verdicts at family-wise
/// error `alpha` with Holm's correction across the figures, intervals at `confidence` each.
std::vector<ComparisonRow> compare_variant(const std::string& variant, std::span<const observe::RunReport> baseline,
                                           std::span<const observe::RunReport> runs, double confidence = 0.95,
                                           double alpha = 0.05);

/// The rows as compare.json's "rows" list and as compare.csv (a header line and one line per row).
nlohmann::json rows_json(const std::vector<ComparisonRow>& rows);
std::string rows_csv(const std::vector<ComparisonRow>& rows);

/// The sentence every output states the correction with.
std::string correction_statement(double confidence = 0.95, double alpha = 0.05);

}  // namespace moesim::study
