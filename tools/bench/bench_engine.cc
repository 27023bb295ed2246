// The classic hold model: N pending events; each executed event schedules one more at an exponential delay.
// Reports hold operations per second for the moesim engine and for a naive baseline (std::priority_queue of
// std::function), at N = 10^3, 10^5 and 10^6. Run: build/tools/bench/bench_engine
#include <benchmark/benchmark.h>

#include <functional>
#include <queue>
#include <vector>

#include "common/rng.h"
#include "sim/engine/engine.h"

namespace {

using namespace moesim::engine;
using moesim::Rng;

constexpr double kMeanDelayNs = 1'000'000.0;  // 1 ms mean: a realistic spread for simulated step times

struct Hold : EventHandler {
  Engine* engine = nullptr;
  Rng rng{1};
  void on_event(uint64_t payload) override {
    engine->schedule_after(nanoseconds(static_cast<int64_t>(rng.exponential(kMeanDelayNs))), *this, payload);
  }
};

void BM_EngineHold(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  Engine engine;
  Hold hold;
  hold.engine = &engine;
  for (int i = 0; i < n; ++i) {
    engine.schedule_at(Time::from_ns(static_cast<int64_t>(hold.rng.exponential(kMeanDelayNs))), hold, 0);
  }
  for (int i = 0; i < 2 * n; ++i) engine.step();  // warm up: reach the steady-state distribution and capacity
  for (auto _ : state) engine.step();
  state.SetItemsProcessed(state.iterations());
  state.counters["holds_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

struct BaselineEvent {
  int64_t time;
  uint64_t seq;
  std::function<void()> action;
  bool operator>(const BaselineEvent& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

void BM_BaselineHold(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  std::priority_queue<BaselineEvent, std::vector<BaselineEvent>, std::greater<>> queue;
  Rng rng(1);
  int64_t now = 0;
  uint64_t seq = 0;
  std::function<void()> hold;
  hold = [&] { queue.push({now + static_cast<int64_t>(rng.exponential(kMeanDelayNs)), seq++, hold}); };
  for (int i = 0; i < n; ++i) queue.push({static_cast<int64_t>(rng.exponential(kMeanDelayNs)), seq++, hold});
  auto step = [&] {
    BaselineEvent e = queue.top();
    queue.pop();
    now = e.time;
    e.action();
  };
  for (int i = 0; i < 2 * n; ++i) step();
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations());
  state.counters["holds_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_EngineHold)->Arg(1'000)->Arg(100'000)->Arg(1'000'000)->MinTime(1.0);
BENCHMARK(BM_BaselineHold)->Arg(1'000)->Arg(100'000)->Arg(1'000'000)->MinTime(1.0);
BENCHMARK_MAIN();
