// The processes a study runs across: one alone, or the ranks of `mpirun -n R moesim ...` (Open MPI). MPI is
// initialized only when a launcher started this process (Open MPI's OMPI_COMM_WORLD_SIZE, or PMI/PMIx variables),
// so a plain run never touches it. Rank 0 collects; the other ranks send it text messages.
//
//   Ranks ranks;                      // one per process, for the whole command
//   if (!ranks.root()) ranks.send_to_root(result_json);
#pragma once

#include <optional>
#include <string>

namespace moesim::study {

class Ranks {
 public:
  /// Detects the launcher; initializes MPI (thread level "funneled": only the main thread calls MPI) if one
  /// started this process.
  Ranks();
  /// Finalizes MPI if it was initialized.
  ~Ranks();
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  /// Processes of this job on this machine (for the default thread count), 1 when alone.
  int local_size() const { return local_size_; }

  /// Sends one message to rank 0 (blocking until it is buffered). Not on rank 0.
  void send_to_root(const std::string& text) const;
  /// On rank 0: one message from another rank, if one has arrived; never blocks.
  std::optional<std::string> poll() const;
  /// Rank 0's `text`, on every rank (every rank must call it; on rank 0 it is left as it is).
  void broadcast(std::string& text) const;
  /// Ends every rank at once (after an error on one of them that the others cannot learn of).
  [[noreturn]] void abort(int code) const;

 private:
  bool mpi_ = false;
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
};

}  // namespace moesim::study
