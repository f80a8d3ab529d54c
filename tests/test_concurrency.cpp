// One Encoder shared by several threads gives exactly the serial results: weights and
// primitives are shared, scratch memory (including oneDNN's scratchpad) is per thread.
#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace ordo::test {
namespace {

TEST(Concurrency, SharedEncoderMatchesSerialResults) {
  const Encoder encoder = load_fixture("odd_shape_learned_relu");
  std::vector<EncoderInput> inputs;
  for (int i = 0; i < 12; ++i) {
    EncoderInput input;
    for (int s = 0; s <= i % 3; ++s) {
      std::vector<int32_t> ids;
      for (int t = 0; t < 3 + (i * 7 + s * 5) % 20; ++t)
        ids.push_back(1 + (i * 13 + s * 3 + t * 11) % 60);
      input.ids.push_back(ids);
    }
    inputs.push_back(input);
  }
  std::vector<Tensor> serial;
  for (const auto& input : inputs) serial.push_back(encoder.forward(input).last_hidden_state);

  constexpr int kThreads = 4, kCalls = 25;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int call = 0; call < kCalls; ++call) {
        const size_t which = static_cast<size_t>(t * 5 + call) % inputs.size();
        const Tensor result = encoder.forward(inputs[which]).last_hidden_state;
        if (result.shape() != serial[which].shape() ||
            max_abs_difference(result.data(), serial[which].data(), result.numel()) != 0.0f) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace ordo::test
