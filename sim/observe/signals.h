// Signals the fleet emits as it runs. Observers (metrics, the ledger, progress) subscribe; cluster code computes no
// statistics itself (ns-3's trace sources are the model).
//
//   struct Count : FleetListener { void on_request_done(const RequestDone&) override { ++n; } int n = 0; };
//   fleet.signals().subscribe(&count);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moesim::observe {

/// A request that left the system, with its timeline (ns; -1 where it never got there).
struct RequestDone {
  int64_t arrival_ns;
  int64_t first_token_ns;
  int64_t decode_admit_ns;
  int64_t finish_ns;
  int32_t input_tokens;
  int32_t cached_tokens;
  int32_t output_tokens;
  uint8_t model;
  bool rejected;         ///< true: it was turned away (see reason)
  const char* reason;    ///< why it was rejected, or nullptr
  uint64_t serial;       ///< arrival order: the key of its own random draws
  int64_t decode_steps;  ///< decode steps its MTP draws gave it (0 when rejected)
};

/// One step of a unit.
struct StepDone {
  int64_t start_ns;
  int64_t duration_ns;
  int32_t unit;
  int64_t tokens;              ///< prefill: new tokens computed; decode: tokens emitted (accepted MTP included)
  int64_t sequences;           ///< prefill: chunks; decode: active sequences
  double rank_balance;         ///< mean / max over ranks of the attention load (1 = even)
  double expert_balance;       ///< mean / max over GPUs of routed tokens (1 = even)
  double kv_occupancy;         ///< decode: KV held / KV capacity over the unit
  double attention_pairs;      ///< prefill: attention token pairs computed, summed over ranks; decode: 0
  int64_t capacity_sequences;  ///< decode: sequences the unit holds at the SLO batch cap; prefill: 0
};

/// The fleet's size changed.
struct FleetSize {
  int64_t time_ns;
  int64_t prefill_nodes;  ///< nodes held by prefill units (starting, serving or draining)
  int64_t decode_nodes;
  int64_t prefill_units_serving;
  int64_t decode_units_serving;
};

class FleetListener {
 public:
  virtual ~FleetListener() = default;
  virtual void on_request_done(const RequestDone&) {}
  virtual void on_prefill_step(const StepDone&) {}
  virtual void on_decode_step(const StepDone&) {}
  virtual void on_fleet_size(const FleetSize&) {}
};

/// The fan-out the fleet emits through.
class Signals {
 public:
  void subscribe(FleetListener* l) { listeners_.push_back(l); }
  void request_done(const RequestDone& r) const {
    for (auto* l : listeners_) l->on_request_done(r);
  }
  void prefill_step(const StepDone& s) const {
    for (auto* l : listeners_) l->on_prefill_step(s);
  }
  void decode_step(const StepDone& s) const {
    for (auto* l : listeners_) l->on_decode_step(s);
  }
  void fleet_size(const FleetSize& f) const {
    for (auto* l : listeners_) l->on_fleet_size(f);
  }

 private:
  std::vector<FleetListener*> listeners_;
};

}  // namespace moesim::observe
