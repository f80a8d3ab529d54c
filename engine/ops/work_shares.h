#pragma once
// Static shares of a loop's items, one per OpenMP thread, with the leftovers balanced.
// Why: a fixed split (schedule(static)) keeps each thread on its own contiguous data (its part
// of the weights streams in order and is prefetched ahead), but on a shared host one thread is
// often slowed for a while and the other then waits at the end of every matmul. In-process,
// BERT-base's four projections at 1,024 rows over 12 layers on a shared 2-core VM, interleaved
// with a fixed split: with the fixed split the threads are idle 2.0-4.7% of the time (0.46-0.75%
// with this), and it runs 0-6% slower. End to end (`ordo bench --shape bert-base`, 8x128 and
// 32x32) this runs 1.02-1.07x faster (docs/performance.md).
// Here each thread first takes its own share in order, then helps with what is left of the
// others' shares, so no thread waits while there is work, and the common case keeps the
// fixed split's order. Which thread runs an item never changes what the item computes.
#include <omp.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace ordo::ops {

// Where owner's share of `count` units starts when they are split into `team` contiguous shares
// as schedule(static) splits them; it ends where owner + 1's starts.
constexpr int64_t share_begin(int64_t count, int owner, int team) {
  return count * owner / team;
}

// On a new OpenMP parallel region of `team` threads, runs body(owner, team, item) once for every
// owner in [0, team) and item in [0, share_size(owner, team)). Each thread takes its own share's
// items (owner = its thread number) in increasing order first. Not reentrant on one thread
// (the counters are the calling thread's), which no kernel needs.
template <typename ShareSize, typename Body>
void run_shares(const ShareSize& share_size, const Body& body) {
  struct alignas(64) Counter {  // one cache line each: owners do not contend
    std::atomic<int64_t> next{0};
  };
  thread_local std::unique_ptr<Counter[]> counters;
  thread_local int capacity = 0;
  const int threads = omp_get_max_threads();  // the next region's team is no larger
  if (capacity < threads) {
    counters = std::make_unique<Counter[]>(static_cast<size_t>(threads));
    capacity = threads;
  }
  for (int t = 0; t < threads; ++t) counters[t].next.store(0, std::memory_order_relaxed);
  Counter* const shared = counters.get();
#pragma omp parallel
  {
    const int team = omp_get_num_threads();
    const int thread = omp_get_thread_num();
    for (int offset = 0; offset < team; ++offset) {
      const int owner = (thread + offset) % team;
      const int64_t size = share_size(owner, team);
      for (int64_t item = shared[owner].next.fetch_add(1, std::memory_order_relaxed); item < size;
           item = shared[owner].next.fetch_add(1, std::memory_order_relaxed)) {
        body(owner, team, item);
      }
    }
  }
}

}  // namespace ordo::ops
