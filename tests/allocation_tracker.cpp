#include "allocation_tracker.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> tracking{false};
std::atomic<size_t> largest_allocation{0};
}  // namespace

void* operator new(size_t size) {
  if (tracking.load(std::memory_order_relaxed)) {
    size_t seen = largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, size_t) noexcept {
  std::free(memory);
}

namespace ordo::test {

AllocationTracker::AllocationTracker() {
  largest_allocation = 0;
  tracking = true;
}
AllocationTracker::~AllocationTracker() {
  tracking = false;
}
size_t AllocationTracker::largest() const {
  return largest_allocation.load();
}

}  // namespace ordo::test
