// run_shares: every item of every share runs exactly once, a thread takes its own share in
// order, and a stalled thread's items are taken by the others. And its users, the panel kernel
// and the attention kernel: the same bits whichever thread ran which item.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel_availability.h"
#include "ops/attention.h"
#include "ops/attention_kernel.h"
#include "ops/linear.h"
#include "ops/panel_gemm.h"
#include "ops/work_shares.h"
#include "random_values.h"

namespace ordo::ops {
namespace {

using test::random_vector;

// Sets the OpenMP team size for one test and restores it after.
class TeamSize {
 public:
  explicit TeamSize(int threads) : previous_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~TeamSize() { omp_set_num_threads(previous_); }
  TeamSize(const TeamSize&) = delete;
  TeamSize& operator=(const TeamSize&) = delete;

 private:
  int previous_;
};

// Share sizes that depend on the owner, including empty ones.
int64_t uneven_share(int owner) {
  return owner % 3 == 1 ? 0 : 5 + 17 * owner;
}

TEST(WorkShares, EveryItemRunsOnceForAnyTeamSize) {
  for (int threads : {1, 2, 3, 5, 8, 2}) {  // 2 again: the counters of a larger team, reused
    SCOPED_TRACE("threads " + std::to_string(threads));
    TeamSize team_size(threads);
    std::vector<std::vector<std::atomic<int>>> runs(static_cast<size_t>(threads));
    for (int owner = 0; owner < threads; ++owner)
      runs[owner] = std::vector<std::atomic<int>>(static_cast<size_t>(uneven_share(owner)));
    std::atomic<int> teams_seen{0};
    run_shares([](int owner, int) { return uneven_share(owner); },
               [&](int owner, int team, int64_t item) {
                 if (team != threads) teams_seen.fetch_add(1);
                 runs[owner][item].fetch_add(1);
               });
    EXPECT_EQ(teams_seen.load(), 0) << "the body saw a team of another size";
    for (int owner = 0; owner < threads; ++owner) {
      for (size_t item = 0; item < runs[owner].size(); ++item)
        EXPECT_EQ(runs[owner][item].load(), 1) << "owner " << owner << " item " << item;
    }
  }
}

TEST(WorkShares, EachThreadTakesItsOwnShareInOrderFirst) {
  TeamSize team_size(3);
  std::mutex mutex;
  std::vector<std::vector<std::pair<int, int64_t>>> taken(3);  // per thread: (owner, item)
  run_shares([](int, int) { return int64_t{200}; },
             [&](int owner, int, int64_t item) {
               const std::lock_guard<std::mutex> lock(mutex);
               taken[omp_get_thread_num()].emplace_back(owner, item);
             });
  for (int thread = 0; thread < 3; ++thread) {
    // A thread that started late may find its share taken: it then runs only others' items.
    const auto& sequence = taken[thread];
    bool own = !sequence.empty() && sequence.front().first == thread;
    for (size_t i = 1; i < sequence.size(); ++i) {
      if (sequence[i].first != thread) own = false;
      if (sequence[i].first == thread) {
        EXPECT_TRUE(own) << "thread " << thread << " went back to its own share";
        EXPECT_GT(sequence[i].second, sequence[i - 1].second) << "thread " << thread;
      }
    }
  }
}

TEST(WorkShares, AStalledThreadsItemsAreTakenByTheOthers) {
  TeamSize team_size(2);
  constexpr int64_t kItems = 50;
  std::vector<std::atomic<int>> runner(kItems);  // 1 + the thread that ran owner 0's item
  std::atomic<bool> stolen{false};
  std::atomic<bool> stalled{false};
  std::atomic<int> teams{0};
  run_shares([](int owner, int) { return owner == 0 ? kItems : int64_t{1}; },
             [&](int owner, int team, int64_t item) {
               teams.store(team);
               if (owner != 0) return;
               const int thread = omp_get_thread_num();
               runner[item].store(thread + 1);
               if (thread != 0) stolen.store(true);
               // The first of owner 0's items that thread 0 runs stalls until another thread
               // has taken one of them, or gives up after 30 s (the test then fails below).
               if (thread == 0 && !stalled.exchange(true)) {
                 const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                 while (!stolen.load() && std::chrono::steady_clock::now() < deadline)
                   std::this_thread::sleep_for(std::chrono::milliseconds(1));
               }
             });
  ASSERT_EQ(teams.load(), 2);
  EXPECT_TRUE(stolen.load()) << "thread 0 stalled and no other thread took its items";
  for (int64_t item = 0; item < kItems; ++item) EXPECT_NE(runner[item].load(), 0) << item;
}

// Every output element is computed by one item, in the same order on any thread, so the team
// size must not change a single bit: 3 and 7 threads split the work differently from 1 and 2,
// and with more threads than cores a descheduled thread's items are often taken by another.
// 300 rows: two row blocks; 1000 deep: two weight blocks.
TEST(WorkShares, PanelKernelGivesTheSameBitsOnAnyTeamSize) {
  constexpr int64_t kRows = 300, kIn = 1000, kOut = 830;
  const auto x = random_vector(kRows * kIn, 1);
  const auto w = random_vector(kOut * kIn, 2);
  const auto b = random_vector(kOut, 3);
  const auto before = random_vector(kRows * kOut, 4);
  const PackedWeights packed(w.data(), kIn, kOut);
  const std::string unavailable = test::panel_kernel_unavailable(packed);
  if (!unavailable.empty()) GTEST_SKIP() << "the panel kernel does not run: " << unavailable;
  const Linear op(kIn, kOut, Activation::gelu, Linear::Output::accumulate, packed.desc(), kRows);
  ASSERT_TRUE(op.uses_panel_gemm());
  std::vector<float> first;
  for (int threads : {1, 2, 3, 7}) {
    const TeamSize team_size(threads);
    std::vector<float> y = before;
    dnnl::stream stream(cpu_engine());
    AlignedBuffer scratchpad;
    op(stream, scratchpad, x.data(), kRows, packed, b.data(), y.data());
    stream.wait();
    if (first.empty()) {
      first = y;
      EXPECT_NE(first, before) << "nothing was computed";
    } else {
      EXPECT_EQ(y, first) << threads << " threads";
    }
  }
}

TEST(WorkShares, AttentionKernelGivesTheSameBitsOnAnyTeamSize) {
  constexpr int64_t kBatch = 5, kLength = 40, kHeads = 3, kHeadDim = 32;
  const std::string unavailable = test::attention_kernel_unavailable(kHeadDim);
  if (!unavailable.empty()) GTEST_SKIP() << "the attention kernel does not run: " << unavailable;
  const Attention attention(kBatch, kLength, kHeads, kHeadDim);
  ASSERT_TRUE(attention.uses_own_kernel());
  const auto qkv_values = random_vector(kBatch * kLength * 3 * kHeads * kHeadDim, 5);
  std::vector<float> first, first_probabilities;
  for (int threads : {1, 2, 3, 7}) {
    const TeamSize team_size(threads);
    AlignedBuffer scratchpad, buffer;
    dnnl::stream stream(cpu_engine());
    std::vector<float> context(kBatch * kLength * kHeads * kHeadDim, 0.0f);
    std::vector<float> qkv = qkv_values;
    const float* kept = attention(stream, scratchpad, buffer, true, qkv.data(), context.data());
    stream.wait();
    ASSERT_NE(kept, nullptr);
    const std::vector<float> probabilities(kept, kept + attention.probabilities_size());
    if (first.empty()) {
      first = context;
      first_probabilities = probabilities;
    } else {
      EXPECT_EQ(context, first) << threads << " threads";
      EXPECT_EQ(probabilities, first_probabilities) << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace ordo::ops
