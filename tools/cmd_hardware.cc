// moesim hardware: the registered hardware kinds (hardware/specs/*.json), each figure with its source.
//
//   moesim hardware list
//   moesim hardware show gb200-nvl72 --json
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "common/json_parse.h"
#include "hardware/hardware.h"
#include "tools/commands.h"

namespace moesim::tools {

namespace {

// The spec's figures in the order the spec files list them.
constexpr std::string_view kGpuKeys[] = {"model",      "sms",       "hbm_bytes",       "hbm_bytes_per_s",
                                         "bf16_flops", "fp8_flops", "fp4_flops",       "boost_clock_mhz",
                                         "sustained_clock_mhz"};
constexpr std::string_view kNodeKeys[] = {"gpus",           "nvlink_bytes_per_s",        "nvlink_domain_gpus",
                                          "nics",           "nic_bytes_per_s",           "kv_cache_read_bytes_per_s",
                                          "usd_per_gpu_hour"};

// The spec as written (every figure {value, source}), keys in file order; load_hardware_spec has checked it.
nlohmann::ordered_json spec_json(const hardware::HardwareSpec& spec) {
  auto raw = load_json_file(spec.file);
  nlohmann::ordered_json out;
  out["name"] = spec.name;
  out["about"] = spec.about;
  out["kernel_tables"] = spec.kernel_tables;
  out["architecture"] = raw.at("architecture");
  for (auto [part, keys] : {std::pair{"gpu", std::span<const std::string_view>(kGpuKeys)},
                            std::pair{"node", std::span<const std::string_view>(kNodeKeys)}}) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (auto key : keys) {
      const auto& section = raw.at(part);
      auto it = section.find(std::string(key));
      if (it != section.end()) o[std::string(key)] = *it;
    }
    out[part] = o;
  }
  return out;
}

std::string value_text(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  double x = v.get<double>();
  if (x == static_cast<double>(static_cast<long long>(x)) && std::abs(x) < 1e15) return fmt::format("{}", static_cast<long long>(x));
  return fmt::format("{:.4g}", x);
}

void print_list(bool json) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  if (!json) {
    fmt::print("{:<12} {:<22} {:<9} {:>5} {:>6} {:>7} {:>8} {:>9} {:>9} {:>9} {:>7}\n", "kind", "GPU", "arch",
               "GPUs", "NVLdom", "HBM GB", "HBM TB/s", "BF16 TF", "FP8 TF", "FP4 TF", "$/GPUh");
  }
  for (const auto& name : hardware::hardware_names()) {
    auto s = hardware::load_hardware_spec(name);
    std::string arch(hardware::architecture_name(s.gpu.architecture));
    if (json) {
      rows.push_back({{"name", s.name},
                      {"gpu", s.gpu.model},
                      {"architecture", arch},
                      {"gpus_per_node", s.node.gpus},
                      {"nvlink_domain_gpus", s.node.nvlink_domain_gpus},
                      {"hbm_bytes", s.gpu.hbm_bytes},
                      {"hbm_bytes_per_s", s.gpu.hbm_bytes_per_s},
                      {"bf16_flops", s.gpu.bf16_flops},
                      {"fp8_flops", s.gpu.fp8_flops},
                      {"fp4_flops", s.gpu.fp4_flops},
                      {"usd_per_gpu_hour", s.node.usd_per_gpu_hour}});
      continue;
    }
    fmt::print("{:<12} {:<22} {:<9} {:>5} {:>6} {:>7.0f} {:>8.2f} {:>9.0f} {:>9.0f} {:>9} {:>7.2f}\n", s.name,
               s.gpu.model, arch, s.node.gpus, s.node.nvlink_domain_gpus, s.gpu.hbm_bytes / 1e9,
               s.gpu.hbm_bytes_per_s / 1e12, s.gpu.bf16_flops / 1e12, s.gpu.fp8_flops / 1e12,
               s.gpu.fp4_flops > 0 ? fmt::format("{:.0f}", s.gpu.fp4_flops / 1e12) : "-", s.node.usd_per_gpu_hour);
  }
  if (json) fmt::print("{}\n", rows.dump(2));
}

void print_show(const std::string& name, bool json) {
  auto spec = hardware::load_hardware_spec(name);
  auto doc = spec_json(spec);
  if (json) {
    fmt::print("{}\n", doc.dump(2));
    return;
  }
  fmt::print("{}: {}\n(kernel tables measured on {}; file {})\n\n", spec.name, spec.about, spec.kernel_tables,
             spec.file.string());
  auto row = [](std::string_view key, const nlohmann::ordered_json& f) {
    fmt::print("  {:<28} {:>16}  {}\n", key, value_text(f.at("value")), f.at("source").get<std::string>());
  };
  row("architecture", doc.at("architecture"));
  for (const char* part : {"gpu", "node"}) {
    for (const auto& [key, f] : doc.at(part).items()) row(fmt::format("{}.{}", part, key), f);
  }
}

}  // namespace

void add_hardware_command(CLI::App& app) {
  auto* sub = app.add_subcommand("hardware", "the registered hardware kinds and their sourced specs");
  sub->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  auto* list = sub->add_subcommand("list", "every kind: GPU, architecture, node and NVLink domain, peaks, price");
  list->add_flag("--json", *json, "print JSON");
  list->callback([json] { print_list(*json); });
  auto* show = sub->add_subcommand("show", "one kind: every figure with its source");
  show->add_option("kind", *name, "hardware kind: " + hardware::hardware_help())->required();
  show->add_flag("--json", *json, "print the spec as JSON (values and sources)");
  show->callback([json, name] { print_show(*name, *json); });
}

}  // namespace moesim::tools
