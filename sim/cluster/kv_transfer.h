// KvTransferLinks: the NICs that carry a prompt's KV cache from its prefill GPU to the decode side. Each prefill
// rank has its own NIC; transfers from one rank queue behind each other.
//
//   KvTransferLinks links;  links.add_unit(ranks);
//   int64_t done_ns = links.reserve(unit, rank, now_ns, duration_ns);
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace moesim::cluster {

class KvTransferLinks {
 public:
  /// A new prefill unit with `ranks` NICs, all free.
  void add_unit(int64_t ranks) { free_ns_.emplace_back(static_cast<size_t>(ranks), 0); }
  /// Books a transfer of `duration_ns` on the NIC of (`unit`, `rank`), starting when both it and `now_ns` allow;
  /// returns when it ends.
  int64_t reserve(int32_t unit, int32_t rank, int64_t now_ns, int64_t duration_ns) {
    int64_t& nic = free_ns_[static_cast<size_t>(unit)][static_cast<size_t>(rank)];
    nic = std::max(nic, now_ns) + duration_ns;
    return nic;
  }

 private:
  std::vector<std::vector<int64_t>> free_ns_;  // per prefill unit, per rank: when its NIC is free
};

}  // namespace moesim::cluster
