// RequestCounts: where the fleet's requests are, and how they left, with their tokens. The fleet keeps these
// counts as requests move (it computes no statistics); the run's report checks them against the metrics' own.
//
//   RequestCounts c = fleet.counts();  bool conserved = c.arrived == c.completed + c.rejected + c.in_flight();
#pragma once

#include <cstdint>

namespace moesim::observe {

/// Requests by where they are or how they left; in = completed + rejected + in flight at every moment.
struct RequestCounts {
  int64_t arrived = 0;
  int64_t completed = 0;
  int64_t rejected = 0;
  int64_t waiting_for_unit = 0;  ///< arrived while no prefill unit accepted work
  int64_t in_prefill = 0;
  int64_t in_transfer = 0;
  int64_t in_decode = 0;  ///< waiting for a decode rank or decoding
  int64_t in_flight() const { return waiting_for_unit + in_prefill + in_transfer + in_decode; }
  // Tokens, kept apart from the metrics so the summary can check them against each other.
  int64_t arrived_input_tokens = 0;
  int64_t arrived_output_tokens = 0;
  int64_t rejected_input_tokens = 0;
  int64_t rejected_output_tokens = 0;
  int64_t in_flight_input_tokens = 0;
  int64_t in_flight_output_tokens = 0;
};

}  // namespace moesim::observe
