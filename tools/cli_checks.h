// Checks of command-line values, shared by the subcommands: a range with a readable message, and the checks that
// main() puts on every option: finite numbers (CLI11 reads "nan", "inf" and "1e999" into a double silently) and
// UTF-8 text.
//
//   sub->add_option("--kv-len", o.kv_len, "...")->check(within(0, 1e8));  // "--kv-len: expected a number in [0,
//   1e+08], got -1" check_all_options(app);  // in main(): finite numbers, UTF-8 text
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

#include "common/json_parse.h"

namespace moesim::tools {

/// A number in [min, max], or (min, max] when `above_min` (NaN is outside). A text that is no number at all is left
/// to the option's conversion error.
inline CLI::Validator within(double min, double max, bool above_min = false) {
  std::string range = fmt::format("{}{}, {}]", above_min ? "(" : "[", min, max);
  return CLI::Validator(
      [min, max, above_min, range](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return {};
        if (!((above_min ? value > min : value >= min) && value <= max)) {
          return fmt::format("expected a number in {}, got {}", range, text);
        }
        return {};
      },
      range, "WITHIN");
}

/// A number >= 0.
inline CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return {};
        if (!(value >= 0)) return "expected a non-negative number, got " + text;
        return {};
      },
      ">= 0", "NON_NEGATIVE");
}

/// A finite number: NaN, infinities and values that overflow a double are errors.
inline CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (CLI::detail::lexical_cast(text, value) && !std::isfinite(value)) {
          return "expected a finite number, got " + text;
        }
        return {};
      },
      "", "FINITE");
}

/// Well-formed UTF-8: names and paths given on the command line end up in JSON outputs, which hold nothing else.
inline CLI::Validator utf8_text() {
  return CLI::Validator(
      [](std::string& text) -> std::string { return is_valid_utf8(text) ? std::string() : "not valid UTF-8 text"; }, "",
      "UTF8");
}

/// Puts finite_number() on every floating-point option of `app` and its subcommands, and utf8_text() on every
/// option: present and future ones alike, with no line of their own.
inline void check_all_options(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_expected_max() == 0) continue;  // a flag takes no value
    if (option->get_type_name().starts_with("FLOAT")) option->check(finite_number());
    option->check(utf8_text());
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) check_all_options(*sub);
}

}  // namespace moesim::tools
