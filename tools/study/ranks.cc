#include "tools/study/ranks.h"

#include <mpi.h>

#include <cstdlib>
#include <stdexcept>

namespace moesim::study {

namespace {

constexpr int kResultTag = 1;

// Launched by mpirun (Open MPI), or by another PMI/PMIx launcher (srun, hydra).
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr) return fallback;
  int n = std::atoi(v);
  return n > 0 ? n : fallback;
}

void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + call + " failed");
}

}  // namespace

Ranks::Ranks() {
  if (!launched_by_mpi()) return;
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  mpi_ = true;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  local_size_ = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
}

Ranks::~Ranks() {
  if (mpi_) MPI_Finalize();
}

void Ranks::send_to_root(const std::string& text) const {
  if (!mpi_ || rank_ == 0) throw std::logic_error("Ranks::send_to_root: not on another rank than 0");
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kResultTag, MPI_COMM_WORLD), "MPI_Send");
}

std::optional<std::string> Ranks::poll() const {
  if (!mpi_ || size_ == 1) return std::nullopt;
  int arrived = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, kResultTag, MPI_COMM_WORLD, &arrived, &status), "MPI_Iprobe");
  if (!arrived) return std::nullopt;
  int count = 0;
  check(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
  std::string text(static_cast<size_t>(count), '\0');
  check(MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, kResultTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  return text;
}

void Ranks::broadcast(std::string& text) const {
  if (!mpi_ || size_ == 1) return;
  unsigned long long size = text.size();
  check(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
  text.resize(static_cast<size_t>(size));
  check(MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
}

void Ranks::abort(int code) const {
  if (mpi_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace moesim::study
