// `moesim run` stopped early: by --stop-after-events (the deterministic stand-in for an interruption, through the same
// path), by a limit, or by SIGINT/SIGTERM. Each leaves a readable partial summary.json ("complete": false, the reason,
// conservation with the requests still in flight) and its ledgers, and exits with its documented status.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/json_parse.h"
#include "sim/observe/run_report.h"
#include "tests/support/command.h"

namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("moesim-run-stop-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kSmall = std::string(MOESIM_SOURCE_DIR) +
                           "/scenarios/steady-small.json --set horizon_s=120 --set experts.skew=\\\"uniform\\\" "
                           "--set experts.eplb=\\\"none\\\"";

moesim::observe::RunReport read_summary(const fs::path& dir) {
  auto file = (dir / "summary.json").string();
  return moesim::observe::report_from_json(moesim::load_json_file(file), file);
}

}  // namespace

TEST_CASE("moesim run: a complete run says complete: true and has no stop reason") {
  auto dir = scratch("complete");
  auto r = moesim::test::run_moesim("run " + kSmall + " --out " + dir.string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto report = read_summary(dir);
  CHECK(report.complete);
  CHECK(report.stop_reason.empty());
  fs::remove_all(dir);
}

TEST_CASE("moesim run: --stop-after-events stops at the window's end after that event and leaves a readable partial summary and ledger") {
  auto dir = scratch("events");
  auto r = moesim::test::run_moesim("run " + kSmall + " --out " + dir.string() + " --stop-after-events 3000");
  INFO(r.output);
  REQUIRE(r.status == 5);
  auto report = read_summary(dir);
  CHECK_FALSE(report.complete);
  // Stop rules are checked where both sides of the run stand at the same time: a window's end (10 simulated s at most).
  CHECK(report.events_executed >= 3000);
  std::string reason = fmt::format("event limit: {} events executed (limit 3000)", report.events_executed);
  CHECK(report.stop_reason == reason);
  CHECK_THAT(r.output, Catch::Contains("moesim run: stopped at simulated") && Catch::Contains(reason));
  CHECK(std::fmod(report.simulated_s, 10.0) == 0.0);  // a window's end
  CHECK(report.simulated_s > 0);
  CHECK(report.simulated_s < 120);  // the time reached, not the horizon
  // Conservation holds with the requests still in flight counted as such.
  const auto& c = report.conservation;
  CHECK(c.requests_in_flight_at_end.total() > 0);
  CHECK(c.requests_in == c.requests_completed + c.requests_rejected + c.requests_in_flight_at_end.total());
  CHECK(c.requests_conserved);
  CHECK(c.tokens_conserved);
  // The ledgers up to the stop: a header and the hour reached.
  std::string hourly = slurp(dir / "hourly.csv");
  CHECK(hourly.starts_with("start_s,"));
  CHECK(std::count(hourly.begin(), hourly.end(), '\n') >= 1);
  CHECK(fs::exists(dir / "minutes.csv"));
  CHECK(fs::exists(dir / "latency-cdf.csv"));
  // The same stop twice gives the same summary (the stop is deterministic).
  auto again = scratch("events-again");
  REQUIRE(moesim::test::run_moesim("run " + kSmall + " --out " + again.string() + " --stop-after-events 3000").status ==
          5);
  CHECK(slurp(again / "summary.json") == slurp(dir / "summary.json"));
  fs::remove_all(dir);
  fs::remove_all(again);
}

TEST_CASE("moesim run: past --max-in-flight the run stops with the figure, the reason and the partial results") {
  auto dir = scratch("in-flight");
  auto r = moesim::test::run_moesim("run " + kSmall + " --out " + dir.string() + " --max-in-flight 100");
  INFO(r.output);
  REQUIRE(r.status == 5);
  auto report = read_summary(dir);
  CHECK_FALSE(report.complete);
  // Checked at a window's end (10 simulated s at most): the figure is the one there.
  auto in_flight = report.conservation.requests_in_flight_at_end.total();
  CHECK(in_flight > 100);
  CHECK_THAT(r.output, Catch::Contains(fmt::format("in-flight limit: {} requests in flight (limit 100)", in_flight)));
  CHECK(report.stop_reason == fmt::format("in-flight limit: {} requests in flight (limit 100)", in_flight));
  CHECK(report.conservation.requests_conserved);
  fs::remove_all(dir);
}

TEST_CASE("moesim run: SIGTERM or SIGINT stops at the next window's end, writes the partial outputs and exits 143 or 130") {
  for (auto [signal, status] : {std::pair{"TERM", 143}, std::pair{"INT", 130}}) {
    auto dir = scratch(std::string("signal-") + signal);
    // The full reference day runs for minutes; the signal comes once the run has said it started.
    std::string day = std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-day.json";
    std::string command = fmt::format(
        "cd {0} && ({1} run {2} --out out > stdout.txt 2> stderr.txt & pid=$!; "
        "for i in $(seq 600); do grep -q started stderr.txt 2>/dev/null && break; sleep 0.1; done; sleep 0.5; "
        "kill -{3} $pid; wait $pid; echo status=$?)",
        dir.string(), MOESIM_BINARY, day, signal);
    auto r = moesim::test::run_shell(command);
    INFO(r.output << slurp(dir / "stderr.txt"));
    REQUIRE_THAT(r.output, Catch::Contains(fmt::format("status={}", status)));
    auto report = read_summary(dir / "out");
    CHECK_FALSE(report.complete);
    CHECK(report.stop_reason == fmt::format("interrupted by SIG{}", signal));
    CHECK(report.conservation.requests_conserved);
    CHECK(report.simulated_s < 86400);
    CHECK(fs::exists(dir / "out/hourly.csv"));
    fs::remove_all(dir);
  }
}

TEST_CASE("moesim run: a second signal ends the process at once, without writing the outputs") {
  auto dir = scratch("second-signal");
  std::string day = std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-day.json";
  // Stopped, the process holds both signals pending; on SIGCONT the kernel delivers them back to back (which handler
  // runs first is the kernel's business): the first sets the flag, the second sees it set and exits on the spot with
  // 128 + its signal. A run stopped by one signal would have written its outputs and said so.
  std::string command = fmt::format(
      "cd {0} && ({1} run {2} --out out > stdout.txt 2> stderr.txt & pid=$!; "
      "for i in $(seq 600); do grep -q started stderr.txt 2>/dev/null && break; sleep 0.1; done; sleep 0.5; "
      "kill -STOP $pid; kill -INT $pid; kill -TERM $pid; kill -CONT $pid; wait $pid; echo status=$?)",
      dir.string(), MOESIM_BINARY, day);
  auto r = moesim::test::run_shell(command);
  INFO(r.output << slurp(dir / "stderr.txt"));
  REQUIRE_THAT(r.output, Catch::Contains("status=130") || Catch::Contains("status=143"));
  CHECK_FALSE(fs::exists(dir / "out/summary.json"));
  CHECK_THAT(slurp(dir / "stderr.txt"), !Catch::Contains("stopped at simulated"));
  fs::remove_all(dir);
}
