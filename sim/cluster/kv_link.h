// KvLink: everything that crosses from the prefill side to the decode side, and the only thing that does. A request
// whose prefill ended crosses as a KvTransfer (what the decode side makes its own record from, and when its KV
// arrives); the prefill side's signals cross as PrefillSignals, which the decode side replays into the run's signals
// in time order. Like a link between two components of a parallel simulation, it carries timed messages one way:
// neither side holds a pointer to the other. The prefill side sends and publishes (Handoff: a batch becomes visible
// at once); the decode side takes what was published.
//
//   link.send({...});  link.signal({now, observe::StepDone{...}});  link.publish();      // the prefill side
//   while (const KvTransfer* t = link.transfer()) { ...; link.pop_transfer(); }        // the decode side
#pragma once

#include <cstdint>
#include <variant>

#include "sim/engine/handoff.h"
#include "sim/observe/signals.h"

namespace moesim::cluster {

/// A request leaving prefill: what the decode side needs of it, and when its KV arrives there.
struct KvTransfer {
  int64_t start_ns;  ///< when its prefill ended and the transfer began (its first token); it ends no earlier
  int64_t done_ns;   ///< when the KV is on the decode side
  int32_t input_tokens;
  int32_t output_tokens;
  int32_t decode_steps;  ///< drawn by the prefill side (MTP acceptances from the request's own stream)
  int32_t cached_tokens;
  int64_t arrival_ns;
  uint64_t serial;
  uint8_t model;
};

/// The prefill side's size as it last changed.
struct PrefillSize {
  int64_t nodes = 0;
  int64_t units_serving = 0;
};
/// No request arrives after this; `arrived` came in all.
struct ArrivalsEnd {
  int64_t arrived = 0;
};
/// A prefill-side signal, at the prefill side's time.
struct PrefillSignal {
  int64_t time_ns = 0;
  std::variant<PrefillSize, observe::StepDone, observe::RequestDone, ArrivalsEnd> what;
};

class KvLink {
 public:
  // The prefill side's end.
  void send(const KvTransfer& transfer) { transfers_.push(transfer); }
  void signal(const PrefillSignal& signal) { signals_.push(signal); }
  /// Makes what was sent so far visible to the decode side.
  void publish() {
    transfers_.publish();
    signals_.publish();
  }

  // The decode side's end: the oldest published item of each kind (nullptr: none yet), and dropping it.
  const KvTransfer* transfer() { return transfers_.front(); }
  void pop_transfer() { transfers_.pop(); }
  const PrefillSignal* signal() { return signals_.front(); }
  void pop_signal() { signals_.pop(); }

 private:
  engine::Handoff<KvTransfer> transfers_;
  engine::Handoff<PrefillSignal> signals_;
};

}  // namespace moesim::cluster
