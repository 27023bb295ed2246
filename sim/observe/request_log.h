// The per-request log (opt-in: `moesim run --request-log FILE`): one CSV row per request as it leaves the system,
// in the order requests leave. Its first columns are what the workload and the request's own draws fix, whatever
// the policies do (serial, arrival, lengths, cached prefix, model, decode steps drawn with MTP); the rest are what
// the policies decide (first token, decode admission, finish, rejection). Sorted by serial, the first columns of two
// runs with the same seed are identical when they differ only in policy (common random numbers; docs/compare.md).
//
//   RequestLog log("requests.csv");  signals.subscribe(&log);  ...  log.close();
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/observe/signals.h"

namespace moesim::observe {

class RequestLog final : public FleetListener {
 public:
  /// Opens (truncates) the file and writes the header; an InputError names a file that cannot be written.
  /// `models`: the served models' names by index (the arrival source's), written in the model column.
  RequestLog(const std::filesystem::path& file, std::vector<std::string> models);
  ~RequestLog() override;
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  void on_request_done(const RequestDone& r) override;
  /// Flushes and closes; an InputError if the writes failed (a full disk).
  void close();

  /// The header line (without its newline).
  static const char* header();

 private:
  std::filesystem::path file_;
  std::vector<std::string> models_;
  std::FILE* out_ = nullptr;
};

}  // namespace moesim::observe
