#pragma once
// The largest single allocation made through operator new while a tracker is alive. The test
// binary that links allocation_tracker.cpp replaces the global operator new/delete with
// malloc/free plus this bookkeeping; a separate file, so no caller sees the replacement inline.
#include <cstddef>

namespace ordo::test {

class AllocationTracker {
 public:
  AllocationTracker();  // starts from zero
  ~AllocationTracker();
  AllocationTracker(const AllocationTracker&) = delete;
  AllocationTracker& operator=(const AllocationTracker&) = delete;

  size_t largest() const;  // bytes
};

}  // namespace ordo::test
