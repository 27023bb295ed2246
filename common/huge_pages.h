// HugePageAllocator: a std::allocator for large arrays read at random (the pool of requests in flight), which asks
// the kernel for transparent huge pages. A day's pool spans tens of megabytes touched one record at a time; with 4 KiB
// pages nearly every touch also misses the TLB. Blocks of 2 MiB or more are aligned to 2 MiB and advised
// MADV_HUGEPAGE (honoured when /sys/kernel/mm/transparent_hugepage/enabled is "always" or "madvise"); smaller ones
// come from operator new. Only speed depends on it: the contents are those of std::allocator.
//
//   std::vector<Record, moesim::HugePageAllocator<Record>> records;
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace moesim {

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT(google-explicit-constructor): rebinding

  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
    size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without huge pages it works as before
    return static_cast<T*>(p);
  }

  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kHugePage) {
      ::operator delete (p, std::align_val_t{alignof(T)});
    } else {
      std::free(p);
    }
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace moesim
