#include "sim/observe/request_log.h"

#include <fmt/format.h>

#include "common/error.h"

namespace moesim::observe {

namespace {
// Nanoseconds as seconds with nanosecond digits; -1 (never got there) stays -1.
std::string seconds(int64_t ns) {
  return ns < 0 ? "-1" : fmt::format("{}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
}
}  // namespace

const char* RequestLog::header() {
  return "serial,arrival_s,input_tokens,cached_tokens,output_tokens,model,decode_steps,"
         "first_token_s,decode_admit_s,finish_s,rejected";
}

RequestLog::RequestLog(const std::filesystem::path& file, std::vector<std::string> models)
    : file_(file), models_(std::move(models)), out_(std::fopen(file.c_str(), "w")) {
  if (out_ == nullptr) throw InputError(fmt::format("{}: cannot write the request log", file.string()));
  fmt::print(out_, "{}\n", header());
}

RequestLog::~RequestLog() {
  if (out_ != nullptr) std::fclose(out_);
}

void RequestLog::on_request_done(const RequestDone& r) {
  const std::string model = r.model < models_.size() ? models_[r.model] : std::to_string(r.model);
  fmt::print(out_, "{},{},{},{},{},{},{},{},{},{},{}\n", r.serial, seconds(r.arrival_ns), r.input_tokens,
             r.cached_tokens, r.output_tokens, model, r.decode_steps, seconds(r.first_token_ns),
             seconds(r.decode_admit_ns), seconds(r.finish_ns), r.rejected ? 1 : 0);
}

void RequestLog::close() {
  if (out_ == nullptr) return;
  bool failed = std::ferror(out_) != 0;
  failed = std::fclose(out_) != 0 || failed;
  out_ = nullptr;
  if (failed) throw InputError(fmt::format("{}: writing the request log failed", file_.string()));
}

}  // namespace moesim::observe
