#include "tools/study/runner.h"

#include <fmt/format.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/error.h"
#include "sim/cluster/scenario.h"
#include "sim/cluster/wiring.h"

namespace moesim::study {

namespace {

// Thrown from a run's progress callback to end it early once the study is stopping.
struct Stopped {};

// Finished jobs, from the pool's threads to the collecting thread.
class ResultQueue {
 public:
  void push(JobResult r) {
    // Notified under the lock: once the collector has taken the last result it may destroy the queue, and the
    // pushing thread must be done with the condition variable by then.
    std::lock_guard lock(mutex_);
    results_.push_back(std::move(r));
    ready_.notify_one();
  }
  std::optional<JobResult> pop_for(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, wait, [&] { return !results_.empty(); })) return std::nullopt;
    JobResult r = std::move(results_.front());
    results_.pop_front();
    return r;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<JobResult> results_;
};

JobResult run_one(const Job& job, size_t index, const RunnerOptions& options, const std::atomic<bool>* stop) {
  auto start = std::chrono::steady_clock::now();
  JobResult r;
  r.index = index;
  try {
    r.resolved = job_document(job);
    cluster::Scenario scenario = cluster::parse_scenario(r.resolved, job.origin);
    r.resolved = cluster::to_json(scenario);
    cluster::RunControl control{.drain_s = options.drain_s, .exact = options.exact, .progress = {}, .stop = {}};
    if (stop != nullptr) {
      control.progress = [stop](const cluster::RunProgress&) {
        if (stop->load(std::memory_order_relaxed)) throw Stopped{};
      };
    }
    r.report = job.out_dir.empty() ? cluster::run_scenario(scenario, control)
                                   : cluster::run_and_write(scenario, job.out_dir, control);
  } catch (const InputError& e) {
    r.error = e.what();
  } catch (const std::exception& e) {
    r.error = fmt::format("internal error: {}", e.what());
  } catch (const Stopped&) {
    r.error = "stopped";
  } catch (...) {
    r.error = "internal error: an unknown exception";
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

#if defined(__SANITIZE_THREAD__)
constexpr bool kPlainThreads = true;
#else
constexpr bool kPlainThreads = false;
#endif

// Calls work(k) for every k in [0, n) on `threads` threads, one k per task (jobs differ in length). With oneTBB,
// whose arena this (driver) thread joins as its one external thread, so that `threads` run in all. Under
// ThreadSanitizer with plain threads taking k from a counter instead: Debian's libtbb is not built with the
// sanitizer, which therefore cannot see TBB's own synchronization and reports its task objects as races
// (docs/planning.md, "ThreadSanitizer"); the jobs, the queue and the collector are the same either way.
void for_each_index(int threads, size_t n, const std::function<void(size_t)>& work) {
  if constexpr (kPlainThreads) {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (size_t k; (k = next.fetch_add(1)) < n;) work(k);
      });
    }
    for (auto& t : pool) t.join();
  } else {
    tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    tbb::task_arena arena(threads);
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<size_t>(0, n, 1),
          [&](const tbb::blocked_range<size_t>& range) {
            for (size_t k = range.begin(); k != range.end(); ++k) work(k);
          },
          tbb::simple_partitioner());
    });
  }
}

}  // namespace

nlohmann::json job_document(const Job& job) {
  nlohmann::json doc = job.scenario;
  doc["seed"] = job.seed;
  return doc;
}

JobResult run_job(const Job& job, size_t index, const RunnerOptions& options) {
  return run_one(job, index, options, nullptr);
}

int thread_count(const RunnerOptions& options, const Ranks& ranks) {
  if (options.threads > 0) return options.threads;
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, ranks.local_size()));
}

std::string encode_result(const JobResult& r) {
  nlohmann::json j = {{"index", r.index},
                      {"report", r.report ? observe::to_json(*r.report) : nlohmann::json()},
                      {"resolved", r.resolved},
                      {"error", r.error},
                      {"wall_s", r.wall_s}};
  return j.dump();
}

JobResult decode_result(const std::string& text) {
  auto j = nlohmann::json::parse(text);
  JobResult r;
  r.index = j.at("index").get<size_t>();
  if (!j.at("report").is_null()) r.report = observe::report_from_json(j["report"], "a rank's result");
  r.resolved = j.at("resolved");
  r.error = j.at("error").get<std::string>();
  r.wall_s = j.at("wall_s").get<double>();
  return r;
}

void run_jobs(const std::vector<Job>& jobs, const Ranks& ranks, const RunnerOptions& options,
              const ResultFn& on_result) {
  std::vector<size_t> mine;  // round robin over the ranks
  for (size_t i = static_cast<size_t>(ranks.rank()); i < jobs.size(); i += static_cast<size_t>(ranks.size())) {
    mine.push_back(i);
  }
  const int threads = thread_count(options, ranks);
  ResultQueue queue;
  std::atomic<bool> stop{false};

  // The pool's threads run the jobs; this thread, the only one that calls MPI, collects.
  std::thread driver([&] {
    for_each_index(threads, mine.size(), [&](size_t k) {
      if (!stop.load()) queue.push(run_one(jobs[mine[k]], mine[k], options, &stop));
    });
  });

  const size_t expected = ranks.root() ? jobs.size() : mine.size();
  const auto wait = std::chrono::milliseconds(ranks.size() > 1 && ranks.root() ? 2 : 200);
  try {
    for (size_t got = 0; got < expected;) {
      if (auto r = queue.pop_for(wait)) {
        ++got;
        if (ranks.root()) {
          on_result(jobs[r->index], *r);
        } else {
          ranks.send_to_root(encode_result(*r));
        }
      }
      if (ranks.root() && options.on_wait) options.on_wait();
      while (ranks.root() && got < expected) {
        auto text = ranks.poll();
        if (!text) break;
        JobResult r = decode_result(*text);
        if (r.index >= jobs.size()) throw std::logic_error("a rank sent a result for a job that does not exist");
        ++got;
        on_result(jobs[r.index], r);
      }
    }
  } catch (const std::exception& e) {
    stop = true;
    driver.join();
    if (ranks.size() > 1) {
      // The other ranks would wait for rank 0 forever: end them all.
      std::fprintf(stderr, "error: %s\n", e.what());
      ranks.abort(dynamic_cast<const InputError*>(&e) != nullptr ? kExitBadInput : 1);
    }
    throw;
  }
  driver.join();
}

std::vector<JobResult> run_all(const std::vector<Job>& jobs, const Ranks& ranks, const RunnerOptions& options) {
  std::vector<JobResult> results;
  run_jobs(jobs, ranks, options, [&](const Job&, const JobResult& r) { results.push_back(r); });
  std::sort(results.begin(), results.end(), [](const JobResult& a, const JobResult& b) { return a.index < b.index; });
  return results;
}

std::string describe(const Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) out += (out.empty() ? "" : ", ") + key + "=" + value.dump();
  return out.empty() ? "as the scenario stands" : out;
}

}  // namespace moesim::study
