#include "sim/cluster/arrivals.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "common/rng.h"
#include "traces/day_generator.h"
#include "traces/kv_cache.h"
#include "traces/source.h"

namespace moesim::cluster {

namespace {

void copy_marks(const traces::Request& q, PrefillRecord& r) {
  r = PrefillRecord{};
  r.arrival_ns = q.arrival_ns;
  r.input_tokens = q.input_tokens;
  r.cached_tokens = q.cached_tokens;
  r.output_tokens = q.output_tokens;
  r.model = q.model;
}

observe::SourceStats stats_of(std::string name, const traces::SourceCounters& c) {
  return {.name = std::move(name),
          .has_counters = true,
          .lines = c.lines,
          .requests = c.requests,
          .skipped_bad = c.skipped_bad,
          .first_bad = c.first_bad};
}

// A trace file; for traces with prefix block hashes the disk KV cache (an LRU over blocks) decides the cached prefix.
class TraceArrivals final : public ArrivalSource {
 public:
  TraceArrivals(std::unique_ptr<traces::RequestSource> source, double cache_bytes, int64_t kv_bytes_per_token)
      : source_(std::move(source)) {
    traces::KvCacheConfig config;
    if (cache_bytes > 0) config.capacity_bytes = static_cast<int64_t>(cache_bytes);
    cache_.emplace(kv_bytes_per_token, config);
  }
  bool next(PrefillRecord& r) override {
    traces::Request q;
    if (!source_->next(q)) return false;
    copy_marks(q, r);
    auto hashes = source_->block_hashes();
    if (!hashes.empty()) r.cached_tokens = static_cast<int32_t>(cache_->access(hashes, q.input_tokens));
    return true;
  }
  observe::SourceStats stats() const override { return stats_of(source_->name(), source_->counters()); }
  std::vector<std::string> models() const override { return source_->models(); }

 private:
  std::unique_ptr<traces::RequestSource> source_;
  std::optional<traces::KvCache> cache_;
};

// The generated day, optionally starting `start_s` into it (arrival times shifted to start at zero).
class DayArrivals final : public ArrivalSource {
 public:
  DayArrivals(const Scenario& s)
      : day_(traces::load_day_profile(s.workload.profile), {.scale = s.workload.scale, .seed = s.seed},
             s.geometry.prefill_kind.model->served_names()),
        start_ns_(engine::Duration::from_seconds(s.workload.start_s).ns()) {}
  bool next(PrefillRecord& r) override {
    traces::Request q;
    while (day_.next(q)) {
      if (q.arrival_ns < start_ns_) continue;
      copy_marks(q, r);
      r.arrival_ns -= start_ns_;
      return true;
    }
    return false;
  }
  observe::SourceStats stats() const override { return stats_of(day_.name(), day_.counters()); }
  std::vector<std::string> models() const override { return day_.models(); }

 private:
  traces::DayGenerator day_;
  int64_t start_ns_;
};

// Poisson arrivals at a fixed rate; each request's lengths and cached prefix come from the day's mixture (the
// generator's marks, its arrival times discarded), so a steady state sees the same request mix as the day.
class ConstantArrivals final : public ArrivalSource {
 public:
  ConstantArrivals(const Scenario& s)
      : marks_(traces::load_day_profile(s.workload.profile), {.scale = 1.0, .seed = s.seed},
               s.geometry.prefill_kind.model->served_names()),
        rng_(Rng::stream(s.seed, "cluster.arrivals.constant")),
        mean_gap_s_(1.0 / s.workload.rate_per_s) {}
  bool next(PrefillRecord& r) override {
    traces::Request q;
    if (!marks_.next(q)) return false;
    copy_marks(q, r);
    t_s_ += rng_.exponential(mean_gap_s_);
    r.arrival_ns = static_cast<int64_t>(t_s_ * 1e9);
    return true;
  }
  observe::SourceStats stats() const override { return {.name = "constant rate, " + marks_.name()}; }
  std::vector<std::string> models() const override { return marks_.models(); }

 private:
  traces::DayGenerator marks_;
  Rng rng_;
  double mean_gap_s_;
  double t_s_ = 0.0;
};

// Reads another source on a thread of its own, in batches of kBatch requests, up to two batches ahead of the
// simulation: generating or parsing the requests (a tenth of the day's time) overlaps the simulation on a second
// core. The requests and their order are the inner source's. It stops reading after the first request at or past
// `stop_at_ns`, as the simulation does (the horizon), so a finished run's source figures are those of the requests
// it read; a run stopped early reports them as of the end of the batch it was in (fixed batches: deterministic). An
// error reading the inner source is raised where the simulation reaches it.
class ReadAhead final : public ArrivalSource {
 public:
  ReadAhead(std::unique_ptr<ArrivalSource> inner, int64_t stop_at_ns)
      : inner_(std::move(inner)), models_(inner_->models()), stop_at_ns_(stop_at_ns), reader_([this] { read(); }) {}
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;
  ~ReadAhead() override {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    changed_.notify_all();
    reader_.join();
  }

  bool next(PrefillRecord& r) override {
    while (pos_ == current_.requests.size()) {
      if (current_.error) std::rethrow_exception(current_.error);
      if (current_.last) return false;
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !ready_.empty(); });
      current_ = std::move(ready_.front());
      ready_.pop_front();
      pos_ = 0;
      lock.unlock();
      changed_.notify_all();
    }
    r = current_.requests[pos_++];
    return true;
  }

  observe::SourceStats stats() const override { return current_.stats; }
  std::vector<std::string> models() const override { return models_; }

 private:
  static constexpr size_t kBatch = 4096;
  static constexpr size_t kBatchesAhead = 2;
  struct Batch {
    std::vector<PrefillRecord> requests;
    observe::SourceStats stats;  // the inner source's, after its last request
    std::exception_ptr error;    // raised after its requests
    bool last = false;           // nothing follows
  };

  void read() {
    bool done = false;
    while (!done) {
      Batch b;
      b.requests.reserve(kBatch);
      try {
        PrefillRecord r;
        while (b.requests.size() < kBatch) {
          if (!inner_->next(r)) {
            done = true;
            break;
          }
          b.requests.push_back(r);
          if (r.arrival_ns >= stop_at_ns_) {
            done = true;
            break;
          }
        }
      } catch (...) {
        b.error = std::current_exception();
        done = true;
      }
      b.stats = inner_->stats();
      b.last = done;
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return quit_ || ready_.size() < kBatchesAhead; });
      if (quit_) return;
      ready_.push_back(std::move(b));
      lock.unlock();
      changed_.notify_all();
    }
  }

  std::unique_ptr<ArrivalSource> inner_;  // read by the reader thread only
  std::vector<std::string> models_;       // the inner source's, fixed before the reader starts
  int64_t stop_at_ns_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;  // guarded by mutex_
  bool quit_ = false;        // guarded by mutex_
  Batch current_;            // the simulation's side
  size_t pos_ = 0;
  std::thread reader_;  // last: starts once the rest is built
};

std::unique_ptr<ArrivalSource> make_source(const Scenario& s) {
  const auto& w = s.workload;
  if (w.kind == "trace") {
    traces::ReadOptions options;
    options.skip_bad = w.skip_bad;
    options.models = s.geometry.prefill_kind.model->served_names();
    options.default_model = s.geometry.prefill_kind.model->name;
    return std::make_unique<TraceArrivals>(traces::open_trace(resolve_path(s, w.file), w.format, options),
                                           w.kv_cache_bytes, s.geometry.prefill.kv_bytes_per_token);
  }
  if (w.kind == "constant") return std::make_unique<ConstantArrivals>(s);
  return std::make_unique<DayArrivals>(s);
}

}  // namespace

std::unique_ptr<ArrivalSource> make_arrivals(const Scenario& s) {
  return std::make_unique<ReadAhead>(make_source(s), engine::Duration::from_seconds(s.horizon_s).ns());
}

}  // namespace moesim::cluster
