// moesim model: the registered models (models/llm/*.json), each dimension with its source, and what follows from the
// dimensions: parameter counts and KV cache bytes.
//
//   moesim model list
//   moesim model show gpt-oss-120b --json
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "models/llm/model.h"
#include "tools/commands.h"

namespace moesim::tools {

namespace {

// The sequence length `show` gives the KV of for windowed models: 128 k tokens.
constexpr double kLongSequence = 131072;

std::string aliases_text(const llm::ModelSpec& m) {
  std::string out;
  for (const auto& a : m.aliases) out += (out.empty() ? "" : ", ") + a;
  return out.empty() ? "-" : out;
}

std::string experts_text(const llm::ModelSpec& m) {
  return fmt::format("{}/{}/{}", m.moe.routed_experts, m.moe.experts_per_token, m.moe.shared_experts);
}

bool windowed(const llm::ModelSpec& m) {
  return m.attention.kind == llm::AttentionKind::kGqa && m.attention.gqa.sliding_window > 0;
}

nlohmann::ordered_json derived_json(const llm::ModelSpec& m) {
  return {{"total_parameters", m.total_parameters()},
          {"active_parameters", m.active_parameters()},
          {"kv_bytes_per_token_per_layer", m.kv_bytes_per_token_per_layer()},
          {"kv_bytes_per_token", m.kv_bytes_per_token()},
          {"kv_bytes_per_131072_token_sequence", m.kv_bytes_for_sequence(kLongSequence)}};
}

void print_list(bool json) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  if (!json) {
    fmt::print("{:<16} {:<31} {:<4} {:>6} {:<16} {:>10} {:>9} {:>10}\n", "model", "aliases", "attn", "layers",
               "experts r/k/s", "total", "active", "KV B/token");
  }
  for (const auto& entry : llm::registered_models()) {
    auto m = llm::load_model(entry.name);
    std::string attention(llm::attention_kind_name(m.attention.kind));
    if (json) {
      rows.push_back({{"name", m.name},
                      {"display_name", m.display_name},
                      {"aliases", m.aliases},
                      {"attention", attention},
                      {"layers", m.layers},
                      {"routed_experts", m.moe.routed_experts},
                      {"experts_per_token", m.moe.experts_per_token},
                      {"shared_experts", m.moe.shared_experts},
                      {"total_parameters", m.total_parameters()},
                      {"active_parameters", m.active_parameters()},
                      {"kv_bytes_per_token", m.kv_bytes_per_token()}});
      continue;
    }
    fmt::print("{:<16} {:<31} {:<4} {:>6} {:<16} {:>8.1f} B {:>7.1f} B {:>10.0f}\n", m.name, aliases_text(m), attention,
               m.layers, experts_text(m), m.total_parameters() / 1e9, m.active_parameters() / 1e9,
               m.kv_bytes_per_token());
  }
  if (json) {
    fmt::print("{}\n", rows.dump(2));
  } else {
    fmt::print(
        "\nexperts r/k/s: routed / per token / shared. total and active from the dimensions (conventions: "
        "models/llm/model.h).\nKV B/token: every layer attending to all context; `moesim model show` gives a "
        "windowed model's long-sequence KV.\n");
  }
}

std::string value_text(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  double x = v.get<double>();
  if (x == std::floor(x) && std::abs(x) < 1e15) return fmt::format("{}", static_cast<long long>(x));
  return fmt::format("{:.4g}", x);
}

// Every figure of the file in file order: {value, source} pairs as rows, nested objects by their dotted path.
void print_figures(const nlohmann::ordered_json& node, const std::string& prefix) {
  for (const auto& [key, v] : node.items()) {
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (prefix.empty() && (key == "name" || key == "display_name" || key == "aliases" || key == "about")) continue;
    if (v.is_object() && v.contains("value")) {
      fmt::print("  {:<32} {:>8}  {}\n", path, value_text(v.at("value")), v.value("source", ""));
    } else if (v.is_object() && v.contains("source")) {  // a note: {"statistics": ..., "source": ...}
      for (const auto& [k, field] : v.items()) {
        if (k != "source")
          fmt::print("  {:<32} {:>8}  {}\n", path + "." + k, value_text(field), v.at("source").get<std::string>());
      }
    } else if (v.is_object()) {
      print_figures(v, path);
    } else {
      fmt::print("  {:<32} {:>8}\n", path, value_text(v));
    }
  }
}

void print_show(const std::string& name, bool json) {
  auto m = llm::load_model(name);
  // load_model has checked the file; read again in file order for the sources.
  std::ifstream in(m.file);
  auto doc = nlohmann::ordered_json::parse(in);
  if (json) {
    doc["file"] = m.file.string();
    doc["derived"] = derived_json(m);
    fmt::print("{}\n", doc.dump(2));
    return;
  }
  std::string title = m.display_name == m.name ? m.name : fmt::format("{} ({})", m.name, m.display_name);
  fmt::print("{}: {}\n(file {})\n\n", title, m.about, m.file.string());
  if (!m.aliases.empty()) fmt::print("  {:<32} {:>8}\n", "aliases", aliases_text(m));
  print_figures(doc, "");
  fmt::print("\nFrom the dimensions (conventions: models/llm/model.h):\n");
  auto row = [](std::string_view what, const std::string& value, std::string_view note) {
    fmt::print("  {:<32} {:>14}  {}\n", what, value, note);
  };
  row("total parameters", fmt::format("{:.2f} B", m.total_parameters() / 1e9),
      "every matrix; embedding and LM head both; no norms, biases or MTP module");
  row("active parameters", fmt::format("{:.2f} B", m.active_parameters() / 1e9),
      fmt::format("{} routed experts a token, the LM head, not the embedding table", m.moe.experts_per_token));
  row("KV bytes per token and layer", fmt::format("{:.0f} B", m.kv_bytes_per_token_per_layer()),
      fmt::format("in {}", hardware::precision_name(m.precision.kv)));
  row("KV bytes per token", fmt::format("{:.0f} B", m.kv_bytes_per_token()),
      windowed(m) ? "while a sequence is within the window (every layer holding every token)" : "all layers");
  if (windowed(m)) {
    row("KV bytes of a 131,072-token seq.", fmt::format("{:.3f} GB", m.kv_bytes_for_sequence(kLongSequence) / 1e9),
        fmt::format("{} of {} layers hold only the last {} tokens", m.attention.gqa.sliding_window_layers, m.layers,
                    m.attention.gqa.sliding_window));
  }
}

}  // namespace

void add_model_command(CLI::App& app) {
  auto* sub = app.add_subcommand("model", "the registered models and their sourced dimensions");
  sub->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  auto* list = sub->add_subcommand("list", "every model: attention, layers, experts, parameters, KV bytes per token");
  list->add_flag("--json", *json, "print JSON");
  list->callback([json] { print_list(*json); });
  auto* show = sub->add_subcommand("show", "one model: every dimension with its source, parameters and KV bytes");
  show->add_option("model", *name, "a registered model or alias (`moesim model list`), or a model file's path")
      ->required();
  show->add_flag("--json", *json, "print the model file as JSON (values and sources) with the derived figures");
  show->callback([json, name] { print_show(*name, *json); });
}

}  // namespace moesim::tools
