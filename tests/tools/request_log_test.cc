// Common random numbers, checked on the per-request log (`moesim run --request-log`): runs of one scenario and seed
// that differ only in balancers give every request the same arrival, lengths, cached prefix, model and decode steps
// (its MTP acceptances), while what the policies decide (first token, finish) does change. A short steady-small with
// even expert routing (the expert popularity's draws are keyed by layer and time, not by request: not logged here).
#include <algorithm>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/command.h"

namespace {

namespace fs = std::filesystem;

const std::string kTiny = moesim::test::tiny_scenario_args();

// serial -> the row's columns.
std::map<uint64_t, std::vector<std::string>> read_log(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  REQUIRE(line ==
          "serial,arrival_s,input_tokens,cached_tokens,output_tokens,model,decode_steps,first_token_s,"
          "decode_admit_s,finish_s,rejected");
  std::map<uint64_t, std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
    REQUIRE(cols.size() == 11);
    rows[std::stoull(cols[0])] = cols;
  }
  return rows;
}

std::map<uint64_t, std::vector<std::string>> run_with(const fs::path& dir, const std::string& name,
                                                      const std::string& sets) {
  auto r = moesim::test::run_moesim("run " + kTiny + " " + sets + " --out " + (dir / name).string() +
                                    " --request-log " + (dir / (name + ".csv")).string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  return read_log(dir / (name + ".csv"));
}

}  // namespace

TEST_CASE("common random numbers: a balancer change leaves every request's arrival, lengths and MTP draws alike") {
  auto dir = fs::temp_directory_path() / ("moesim-request-log-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto base = run_with(dir, "published", "");
  auto decode = run_with(dir, "decode-rr", "--set fleet.decode.balancer=round-robin");
  auto both = run_with(dir, "both", "--set fleet.decode.balancer=least-kv --set fleet.prefill.balancer=round-robin");
  REQUIRE(base.size() > 500);
  for (const auto* other : {&decode, &both}) {
    REQUIRE(other->size() == base.size());
    int policy_moved = 0;
    for (const auto& [serial, cols] : base) {
      const auto& o = other->at(serial);
      INFO("serial " << serial);
      // serial, arrival, input, cached, output, model, decode steps: fixed by the workload and the request's draws.
      for (size_t c = 0; c < 7; ++c) CHECK(cols[c] == o[c]);
      if (cols[9] != o[9]) ++policy_moved;
    }
    CHECK(policy_moved > 0);  // the policies did decide differently: the test has teeth
  }
}
