// The rank balancers' admit and finish hooks as the units call them (sim/cluster/prefill_unit.cc, decode_unit.cc):
// every request a balancer places is admitted once on the rank it was placed on, and finishes once there, with the
// view it was admitted with; so a balancer may keep per-rank state from the hooks alone.
#include <catch2/catch.hpp>
#include <vector>

#include "common/rng.h"
#include "tests/cluster/fake_step_model.h"

using namespace moesim::cluster;
using namespace moesim::cluster::testing;
namespace policy = moesim::policy;

namespace {

// Per rank: what the hooks said, and what a balancer keeping state from them alone would hold.
struct HookLedger {
  std::vector<int64_t> admitted;
  std::vector<int64_t> finished;
  std::vector<int64_t> held_tokens;  // admitted minus finished, in the requests' own views
  bool finish_on_empty_rank = false;

  explicit HookLedger(size_t ranks) : admitted(ranks), finished(ranks), held_tokens(ranks) {}
  void admit(size_t rank, int64_t tokens) {
    admitted[rank] += 1;
    held_tokens[rank] += tokens;
  }
  void finish(size_t rank, int64_t tokens) {
    if (finished[rank] >= admitted[rank]) finish_on_empty_rank = true;
    finished[rank] += 1;
    held_tokens[rank] -= tokens;
  }
};

// Places like `published` and records the hooks.
struct RecordingPrefill final : policy::PrefillBalancer {
  std::unique_ptr<policy::PrefillBalancer> inner = policy::builtin_prefill_balancers().make("published", {});
  HookLedger ledger;
  explicit RecordingPrefill(size_t ranks) : ledger(ranks) {}
  size_t pick(std::span<const policy::PrefillRankView> r, const policy::PrefillRequestView& q) override {
    return inner->pick(r, q);
  }
  void admit(size_t rank, const policy::PrefillRequestView& q) override {
    inner->admit(rank, q);
    ledger.admit(rank, q.new_tokens);
  }
  void progress(size_t rank, int64_t tokens, double pairs) override { inner->progress(rank, tokens, pairs); }
  void finish(size_t rank, const policy::PrefillRequestView& q) override {
    inner->finish(rank, q);
    ledger.finish(rank, q.new_tokens);
  }
};

struct RecordingDecode final : policy::DecodeBalancer {
  std::unique_ptr<policy::DecodeBalancer> inner = policy::builtin_decode_balancers().make("published", {});
  HookLedger ledger;
  explicit RecordingDecode(size_t ranks) : ledger(ranks) {}
  int64_t pick(std::span<const policy::DecodeRankView> r, const policy::DecodeRequestView& q) override {
    return inner->pick(r, q);
  }
  // Every hook reaches the wrapped balancer: the published one keeps state between refreshes.
  void begin_admissions(std::span<const policy::DecodeRankView> r) override { inner->begin_admissions(r); }
  void admit(size_t rank, const policy::DecodeRequestView& q) override {
    inner->admit(rank, q);
    ledger.admit(rank, q.kv_tokens);
  }
  void finish(size_t rank, const policy::DecodeRequestView& q) override {
    inner->finish(rank, q);
    ledger.finish(rank, q.kv_tokens);
  }
};

struct Collect final : RequestSink {
  std::vector<uint32_t> ids;
  void accept(uint32_t id) override { ids.push_back(id); }
};

// Requests of mixed lengths, some with a cached prefix, some with a single output token (no decode step at all).
template <typename Record>
std::vector<uint32_t> add_requests(RecordPool<Record>& pool, int n) {
  moesim::Rng rng(17);
  std::vector<uint32_t> ids;
  for (int i = 0; i < n; ++i) {
    Record r;
    r.input_tokens = 200 + static_cast<int32_t>(rng.below(12000));
    r.cached_tokens = i % 3 == 0 ? r.input_tokens / 2 : 0;
    r.output_tokens = i % 7 == 0 ? 1 : 1 + static_cast<int32_t>(rng.below(400));
    r.serial = static_cast<uint64_t>(i);
    ids.push_back(pool.add(r));
  }
  return ids;
}

void check_ledger(const HookLedger& ledger, const std::vector<int64_t>& placed_per_rank) {
  CHECK_FALSE(ledger.finish_on_empty_rank);
  for (size_t rank = 0; rank < placed_per_rank.size(); ++rank) {
    INFO("rank " << rank);
    CHECK(ledger.admitted[rank] == placed_per_rank[rank]);
    CHECK(ledger.finished[rank] == placed_per_rank[rank]);
    CHECK(ledger.held_tokens[rank] == 0);
  }
}

}  // namespace

TEST_CASE("balancer hooks: a prefill unit admits every request on the rank it picked and finishes it there") {
  moesim::engine::Engine engine;
  PrefillPool pool;
  moesim::observe::Signals signals;
  LinearStepModel model;
  EvenExperts experts;
  Collect done;
  RecordingPrefill lb(8);
  PrefillUnit unit(0, UnitContext<PrefillPool>{engine, pool, signals}, model, experts, PrefillUnitShape{8, 1, 4096}, lb,
                   done);
  auto ids = add_requests(pool, 300);
  for (uint32_t id : ids) unit.enqueue(id);
  engine.run();
  REQUIRE(done.ids.size() == ids.size());
  std::vector<int64_t> placed(8);
  for (uint32_t id : ids) placed[static_cast<size_t>(pool[id].prefill_rank)] += 1;
  check_ledger(lb.ledger, placed);
}

TEST_CASE("balancer hooks: a decode unit admits every request on the rank it picked and finishes it there") {
  moesim::engine::Engine engine;
  DecodePool pool;
  moesim::observe::Signals signals;
  LinearStepModel model;
  EvenExperts experts;
  Collect done;
  RecordingDecode lb(16);
  DecodeUnit unit(0, UnitContext<DecodePool>{engine, pool, signals}, model, experts, DecodeUnitShape{16, 2, true, 21.0},
                  lb, 5, done);
  auto ids = add_requests(pool, 300);
  for (uint32_t id : ids) unit.enqueue(id);
  engine.run();
  REQUIRE(done.ids.size() == ids.size());
  std::vector<int64_t> placed(16);
  for (uint32_t id : ids) placed[static_cast<size_t>(pool[id].rank)] += 1;
  check_ledger(lb.ledger, placed);
}
