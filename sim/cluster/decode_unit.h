// DecodeUnit: the GPUs of one decode unit (EP144 in DeepSeek's deployment) stepping together. Each GPU is a rank
// holding a batch of sequences. Work per step is O(ranks + requests that finish): a rank keeps aggregates (sequence
// count, KV on a line in the step index), and each request's finishing step is drawn when it is admitted (MTP
// acceptance included) and kept in a timing wheel keyed by that step.
//
//   DecodeUnit unit(0, ctx, model, experts, {.ranks = 144, .nodes = 18, .mtp = true, .slo_tokens_per_s = 21}, lb,
//   sink); unit.enqueue(request_id);  // admitted at the next step boundary where a rank fits it
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "sim/cluster/decode_steps.h"
#include "sim/cluster/unit_context.h"
#include "sim/policy/rank_balancer.h"

namespace moesim::cluster {

struct DecodeUnitShape {
  int64_t ranks = 0;  ///< GPUs of the unit (llm::UnitGeometry::gpus)
  int64_t nodes = 0;
  bool mtp = true;
  double slo_tokens_per_s = 21.0;  ///< per-user speed target that caps the batch per rank
};

/// The most sequences one decode rank is ever given (the SLO batch cap's search range).
inline constexpr int64_t kMaxDecodeBatch = 4096;

/// The largest batch per rank in [1, max_batch] that `ok` accepts, for an `ok` that holds up to some batch and fails
/// above it (the step time grows with the batch); 0 when it fails at 1. Searched outwards from `start` in doubling
/// steps, then bisected, so a start near the answer asks for few batches. The decode unit's SLO batch cap and the
/// plan's screen (tools/study/screen.h) both search with it.
int64_t largest_passing_batch(const std::function<bool(int64_t)>& ok, int64_t start, int64_t max_batch);

class alignas(64) DecodeUnit final : public engine::EventHandler {
 public:
  DecodeUnit(int32_t id, UnitContext<DecodePool> ctx, const StepModel& model, ExpertBalance& experts,
             DecodeUnitShape shape, policy::DecodeBalancer& balancer, uint64_t seed, RequestSink& done);

  /// Queues a request whose KV has arrived; it is admitted at a step boundary when a rank fits it.
  void enqueue(uint32_t request);

  int32_t id() const { return id_; }
  bool idle() const { return !stepping_ && active_ == 0 && waiting_.empty(); }
  int64_t active() const { return active_; }
  int64_t waiting() const { return static_cast<int64_t>(waiting_.size()); }
  int64_t nodes() const { return shape_.nodes; }
  /// Sequences the unit can hold at the SLO (batch cap x ranks), as last computed.
  int64_t capacity() const { return batch_cap_ * shape_.ranks; }
  int64_t batch_cap() const { return batch_cap_; }
  engine::Duration busy() const { return busy_; }

  void on_event(uint64_t payload) override;

 private:
  struct Rank {
    int64_t sequences = 0;
    double kv_base = 0.0;  // sum of the sequences' kv_base
    double kv_rate = 0.0;  // sum of the sequences' kv_rate
    double kv_at(int64_t step) const { return kv_base + kv_rate * static_cast<double>(step); }
  };

  void admit_waiting();
  void start_step();
  void finish_step();
  void complete(uint32_t request);
  void update_batch_cap();

  int32_t id_;
  UnitContext<DecodePool> ctx_;
  const StepModel& model_;
  ExpertBalance& experts_;
  DecodeUnitShape shape_;
  policy::DecodeBalancer& balancer_;
  uint64_t seed_;  // MTP acceptances: Rng::stream(seed_, "cluster.mtp", request serial)
  RequestSink& done_;
  std::vector<Rank> ranks_;
  std::vector<policy::DecodeRankView> views_;
  std::vector<DecodeRankLoad> loads_;
  // The sequences decoding, by the step they end at, in a two-level timing wheel of 64-step blocks. `near_` holds the
  // sequences that end in the blocks up to `spread_block_` (the current one, and the next at a block's last step), one
  // slot a step (step % 64): a slot holds exactly the sequences its step ends. `far_` holds the later ones, one slot a
  // block (block % 64, with laps); a block's slot is spread into `near_` before the block starts. Adding writes at the
  // end of one of 128 slots, whose ends stay in cache (a flat 4,096-slot wheel missed the cache on most adds).
  static constexpr int64_t kBlockBits = 6;
  static constexpr size_t kSlots = size_t{1} << kBlockBits;
  static constexpr size_t kSlotMask = kSlots - 1;
  struct Ending {
    int64_t step;
    uint32_t request;
  };
  void add_ending(int64_t end_step, uint32_t request);
  void spread_block(int64_t block);  // moves the block's sequences from far_ to near_
  std::vector<std::vector<Ending>> near_ = std::vector<std::vector<Ending>>(kSlots);
  std::vector<std::vector<Ending>> far_ = std::vector<std::vector<Ending>>(kSlots);
  int64_t spread_block_ = 0;                            // the last block whose sequences are in near_
  std::vector<std::pair<uint64_t, uint32_t>> leaving_;  // scratch: the requests a step ends (serial, id)
  RequestQueue<DecodePool> waiting_;
  int64_t step_ = 0;
  int64_t active_ = 0;
  int64_t batch_cap_ = 1;
  int64_t steps_since_cap_ = 0;
  double kv_capacity_ = 0.0;
  double tokens_per_step_ = 1.0;  // expected tokens a sequence emits per step
  bool stepping_ = false;
  int64_t step_start_ns_ = 0;
  engine::Duration busy_;
};

}  // namespace moesim::cluster
