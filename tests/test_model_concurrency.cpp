// One ordo::Model shared by 8 threads making 50 calls each, every call with its own input,
// gives bit for bit the results of the same calls made one after another: the weights and
// compiled kernels are shared, the scratch memory is per thread, and nothing else is mutable.
// This suite uses the installed API only (public headers, linked to libordo itself) as an
// application would; tools/test.sh also runs it under ThreadSanitizer.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "ordo/model.h"

namespace {

constexpr int kThreads = 8;
constexpr int kCallsPerThread = 50;
constexpr int kCalls = kThreads * kCallsPerThread;

// Held-out lines of the bundled corpus (English and Chinese), cut to at most 160 bytes on a
// UTF-8 character boundary to keep the calls short.
std::vector<std::string> corpus_lines(size_t count) {
  std::ifstream in(std::filesystem::path(ORDO_MODELS_DIR) / "heldout.txt");
  std::vector<std::string> lines;
  std::string line;
  while (lines.size() < count && std::getline(in, line)) {
    size_t end = std::min<size_t>(line.size(), 160);
    while (end < line.size() && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
    lines.push_back(line.substr(0, end));
  }
  if (lines.size() < count) throw std::runtime_error("heldout.txt has too few lines");
  return lines;
}

// Call c: two texts, a pair, or ids of a length that varies with c (all different inputs).
ordo::Result run_call(const ordo::Model& model, const std::vector<std::string>& lines, int c) {
  const auto first = static_cast<size_t>(c), second = static_cast<size_t>(c + kCalls);
  switch (c % 3) {
    case 0:
      return model.encode({lines[first], lines[second]});
    case 1:
      return model.encode_pair(lines[first], lines[second]);
    default: {
      std::vector<int32_t> ids(static_cast<size_t>(1 + c % 60));
      for (size_t t = 0; t < ids.size(); ++t)
        ids[t] = static_cast<int32_t>((c * 131 + static_cast<int>(t) * 17) % model.vocab_size());
      return model.encode_ids({ids});
    }
  }
}

bool same_bits(const ordo::Array& a, const ordo::Array& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.values().data(), b.values().data(), a.size() * sizeof(float)) == 0;
}

bool same_bits(const ordo::Result& a, const ordo::Result& b) {
  if (a.attentions.size() != b.attentions.size()) return false;
  for (size_t l = 0; l < a.attentions.size(); ++l) {
    if (!same_bits(a.attentions[l], b.attentions[l])) return false;
  }
  std::vector<int32_t> ids_a, ids_b;
  for (const auto& tokens : a.tokens)
    for (const auto& token : tokens) ids_a.push_back(token.id);
  for (const auto& tokens : b.tokens)
    for (const auto& token : tokens) ids_b.push_back(token.id);
  return ids_a == ids_b && same_bits(a.last_hidden_state, b.last_hidden_state) &&
         same_bits(a.pooled, b.pooled);
}

// threads = 0 takes the OpenMP default (OMP_NUM_THREADS, else one per core; the
// ThreadSanitizer stage sets 1); 1 is what docs/api.md ("Threads") recommends when callers
// outnumber cores.
class ModelConcurrency : public testing::TestWithParam<int> {};

TEST_P(ModelConcurrency, ConcurrentCallsEqualSerialCallsBitForBit) {
  ordo::Options options;
  options.threads = GetParam();
  options.output_attentions = true;
  const ordo::Model model =
      ordo::Model::load(std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal", options);
  const std::vector<std::string> lines = corpus_lines(2 * kCalls);

  std::vector<ordo::Result> serial;
  for (int c = 0; c < kCalls; ++c) serial.push_back(run_call(model, lines, c));

  std::vector<std::vector<int>> mismatched(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        // Thread t takes calls t, t + 8, t + 16, ...: all threads are busy with different
        // inputs, lengths and call kinds at any moment.
        for (int k = 0; k < kCallsPerThread; ++k) {
          const int c = t + k * kThreads;
          if (!same_bits(run_call(model, lines, c), serial[static_cast<size_t>(c)]))
            mismatched[t].push_back(c);
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], "") << "thread " << t;
    EXPECT_TRUE(mismatched[t].empty())
        << "thread " << t << ": " << mismatched[t].size() << " calls differ, first call "
        << (mismatched[t].empty() ? -1 : mismatched[t][0]);
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, ModelConcurrency, testing::Values(0, 1),
                         [](const testing::TestParamInfo<int>& info) {
                           return info.param == 0 ? std::string("OpenMPDefault")
                                                  : std::string("OneThreadPerCall");
                         });

}  // namespace
