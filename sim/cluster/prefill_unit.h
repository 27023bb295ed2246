// PrefillUnit: the GPUs of one prefill unit (EP32 in DeepSeek's deployment) stepping together. Each GPU is a
// data-parallel attention rank with its own FIFO of requests; a step computes up to a token budget of new tokens per
// rank (chunked prefill) and takes as long as the cost model says for the slowest rank.
//
//   PrefillUnit unit(0, ctx, {.ranks = 32, .nodes = 4, .chunk_tokens = 16384}, balancer, sink);
//   unit.enqueue(request_id);  // the unit steps by itself until its queues are empty
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/cluster/unit_context.h"
#include "sim/policy/rank_balancer.h"

namespace moesim::cluster {

/// A step's attention budget on one rank cuts a chunk short: the largest n with n x before + n (n + 1) / 2 <=
/// pair_budget, for a request that attends to `before` tokens ahead of its chunk (its cached prefix and what is
/// computed). May be below 1 (then at least one token goes in only as a rank's first chunk of the step).
inline double chunk_within_pairs(double before, double pair_budget) {
  const double b = 2.0 * before + 1.0;
  return std::floor((-b + std::sqrt(b * b + 8.0 * pair_budget)) / 2.0);
}

/// The marginal prefill step cost of one new token and of one attention pair (seconds): finite differences of the
/// step model around a full chunk of fresh tokens on every rank (every rank alike, so the slowest rank is any rank).
/// What balancers that weigh queued work in seconds are given.
std::pair<double, double> prefill_marginal_costs(const StepModel& model, int64_t ranks, int64_t chunk);

struct PrefillUnitShape {
  int64_t ranks = 0;  ///< GPUs of the unit (llm::UnitGeometry::gpus)
  int64_t nodes = 0;
  int64_t chunk_tokens = 16384;
};

class alignas(64) PrefillUnit final : public engine::EventHandler {
 public:
  PrefillUnit(int32_t id, UnitContext<PrefillPool> ctx, const StepModel& model, ExpertBalance& experts,
              PrefillUnitShape shape, policy::PrefillBalancer& balancer, RequestSink& done);

  /// Places the request on a rank (the balancer decides) and starts stepping if idle.
  void enqueue(uint32_t request);

  int32_t id() const { return id_; }
  bool idle() const { return !stepping_ && queued_requests_ == 0; }
  int64_t queued_tokens() const { return queued_tokens_; }
  int64_t queued_requests() const { return queued_requests_; }
  int64_t nodes() const { return shape_.nodes; }
  /// Simulated time this unit spent stepping.
  engine::Duration busy() const { return busy_; }

  void on_event(uint64_t payload) override;

 private:
  struct Queued {
    uint32_t request;
    int64_t kv_ready_ns;  // the record's, kept here: a step passes over the requests still loading without reading them
  };
  struct Rank {
    std::vector<Queued> queue;  // FIFO of requests not yet fully computed
    size_t touched_end = 0;     // one past the last queue entry the current step computes
  };
  struct Chunk {
    uint32_t request;
    int32_t rank;
    int32_t tokens;
  };

  void try_start_step();
  void finish_step();

  int32_t id_;
  UnitContext<PrefillPool> ctx_;
  const StepModel& model_;
  ExpertBalance& experts_;
  PrefillUnitShape shape_;
  policy::PrefillBalancer& balancer_;
  RequestSink& done_;
  std::vector<Rank> ranks_;
  std::vector<policy::PrefillRankView> views_;  // each rank's queued work, as the balancer sees it
  std::vector<PrefillRankLoad> loads_;
  std::vector<Chunk> chunks_;
  std::vector<int64_t> node_disk_free_ns_;  // per node: when its disk-cache link is free
  bool stepping_ = false;
  bool wake_pending_ = false;
  int64_t step_start_ns_ = 0;
  int64_t queued_tokens_ = 0;
  int64_t queued_requests_ = 0;
  engine::Duration busy_;
};

}  // namespace moesim::cluster
