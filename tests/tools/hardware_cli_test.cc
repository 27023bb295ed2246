// End-to-end tests of `moesim hardware`: the list of kinds, one kind's figures with their sources, and an unknown kind.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "hardware/hardware.h"
#include "tests/support/command.h"

using moesim::test::run_moesim;

TEST_CASE("moesim hardware list: every registered kind, with its node, NVLink domain and peaks") {
  auto r = run_moesim("hardware list --json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.output);
  REQUIRE(j.size() == moesim::hardware::hardware_names().size());
  for (const auto& row : j) {
    CHECK(row["gpus_per_node"].get<int>() > 0);
    CHECK(row["nvlink_domain_gpus"].get<int>() % row["gpus_per_node"].get<int>() == 0);
    CHECK(row["fp8_flops"].get<double>() > row["bf16_flops"].get<double>());
  }
  auto text = run_moesim("hardware list");
  CHECK(text.status == 0);
  CHECK(text.output.find("gb200-nvl72") != std::string::npos);
}

TEST_CASE("moesim hardware show: every figure of a kind with its source, an unknown kind lists the known ones") {
  auto r = run_moesim("hardware show gb200-nvl72 --json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.output);
  CHECK(j["architecture"]["value"] == "blackwell");
  CHECK(j["node"]["nvlink_domain_gpus"]["value"] == 72);
  for (const char* part : {"gpu", "node"}) {
    for (const auto& [key, figure] : j[part].items()) {
      INFO(part << "." << key);
      CHECK(!figure["source"].get<std::string>().empty());
    }
  }
  auto bad = run_moesim("hardware show tpu9");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("unknown hardware \"tpu9\" (known: b200, gb200-nvl72") != std::string::npos);
}
