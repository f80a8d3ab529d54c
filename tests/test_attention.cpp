// ops::Attention, both kernels (ordo's own AVX-512 one and oneDNN's primitives), against
// softmax(Q K^T) V computed here in double precision from its definition. Shapes cover a
// single token, query tiles of 1 to 6 rows, key panels cut at 64, and head sizes of 1 to 8
// vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ops/attention.h"
#include "ops/attention_kernel.h"

namespace ordo::ops {
namespace {

struct Shape {
  int64_t batch, length, heads, head_dim;
};

struct Expected {
  std::vector<double> probabilities;  // [batch, heads, length, length]
  std::vector<double> context;        // [batch * length, heads * head_dim]
  double largest_abs_score = 0.0;     // max over score entries of sum_d |q_d k_d|
  double largest_abs_value = 0.0;     // max |V|
};

Expected reference(const Shape& s, const std::vector<float>& qkv) {
  const int64_t hidden = s.heads * s.head_dim;
  Expected out{std::vector<double>(static_cast<size_t>(s.batch * s.heads * s.length * s.length)),
               std::vector<double>(static_cast<size_t>(s.batch * s.length * hidden))};
  const auto at = [&](int64_t b, int64_t token, int64_t part, int64_t h, int64_t d) {
    return static_cast<double>(qkv[static_cast<size_t>(
        ((b * s.length + token) * 3 + part) * hidden + h * s.head_dim + d)]);
  };
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.heads; ++h) {
      for (int64_t i = 0; i < s.length; ++i) {
        std::vector<double> scores(static_cast<size_t>(s.length));
        for (int64_t j = 0; j < s.length; ++j) {
          double abs_score = 0.0;
          for (int64_t d = 0; d < s.head_dim; ++d) {
            scores[j] += at(b, i, 0, h, d) * at(b, j, 1, h, d);
            abs_score += std::abs(at(b, i, 0, h, d) * at(b, j, 1, h, d));
            out.largest_abs_value = std::max(out.largest_abs_value, std::abs(at(b, j, 2, h, d)));
          }
          out.largest_abs_score = std::max(out.largest_abs_score, abs_score);
        }
        const double maximum = *std::max_element(scores.begin(), scores.end());
        double total = 0.0;
        for (double& score : scores) total += (score = std::exp(score - maximum));
        double* p =
            &out.probabilities[static_cast<size_t>(((b * s.heads + h) * s.length + i) * s.length)];
        double* c = &out.context[static_cast<size_t>((b * s.length + i) * hidden + h * s.head_dim)];
        for (int64_t j = 0; j < s.length; ++j) {
          p[j] = scores[j] / total;
          for (int64_t d = 0; d < s.head_dim; ++d) c[d] += p[j] * at(b, j, 2, h, d);
        }
      }
    }
  }
  return out;
}

std::vector<float> random_qkv(const Shape& s, float scale, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> qkv(static_cast<size_t>(s.batch * s.length * 3 * s.heads * s.head_dim));
  for (float& x : qkv) x = normal(generator);
  return qkv;
}

struct Outputs {
  std::vector<float> context;
  std::vector<float> probabilities;  // empty unless kept
};

Outputs run(const Attention& attention, const Shape& s, const std::vector<float>& qkv, bool keep) {
  AlignedBuffer scratchpad, buffer;
  dnnl::stream stream(cpu_engine());
  // One float past the end, to catch a write out of bounds.
  std::vector<float> context(static_cast<size_t>(s.batch * s.length * s.heads * s.head_dim) + 1,
                             -7.0f);
  const float* probabilities =
      attention(stream, scratchpad, buffer, keep, qkv.data(), context.data());
  stream.wait();
  EXPECT_EQ(context.back(), -7.0f) << "written past the context";
  context.pop_back();
  EXPECT_EQ(probabilities != nullptr, keep);
  Outputs result{context, {}};
  if (keep && probabilities != nullptr) {
    result.probabilities.assign(probabilities, probabilities + attention.probabilities_size());
  }
  return result;
}

// |got - want| <= tolerance * (1 + |want|) everywhere; returns the worst excess for the message.
template <typename Got>
void expect_near(const Got& got, const std::vector<double>& want, double tolerance,
                 const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0.0;
  size_t worst_at = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double error = std::abs(got[i] - want[i]) / (1.0 + std::abs(want[i]));
    if (!(error <= worst)) {  // also catches NaN
      worst = std::isnan(error) ? INFINITY : error;
      worst_at = i;
    }
  }
  EXPECT_LE(worst, tolerance) << what << " at " << worst_at << ": " << got[worst_at] << " vs "
                              << want[worst_at];
}

class AttentionShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(AttentionShapes, BothKernelsMatchTheDefinition) {
  const Shape s = GetParam();
  const std::vector<float> qkv = random_qkv(s, 0.5f, 11);
  const Expected want = reference(s, qkv);
  const Attention own(s.batch, s.length, s.heads, s.head_dim);
  const Attention onednn(s.batch, s.length, s.heads, s.head_dim, Attention::Kernel::onednn);
  // The fast path must not get lost: wherever the kernel can run, Kernel::fastest uses it.
  EXPECT_EQ(own.uses_own_kernel(), attention_kernel_supported(s.head_dim));
  EXPECT_FALSE(onednn.uses_own_kernel());
  for (const Attention* attention : {&own, &onednn}) {
    SCOPED_TRACE(attention->uses_own_kernel() ? "own kernel" : "oneDNN");
    const Outputs kept = run(*attention, s, qkv, true);
    expect_near(kept.probabilities, want.probabilities, 2e-6, "probabilities");
    expect_near(kept.context, want.context, 2e-6, "context");
    // Not keeping the probabilities changes where they live, not what is computed.
    const Outputs unkept = run(*attention, s, qkv, false);
    EXPECT_EQ(unkept.context, kept.context);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, AttentionShapes,
    ::testing::Values(Shape{1, 1, 1, 16},    // one token: a probability of exactly 1
                      Shape{2, 7, 3, 32},    // MiniLM's head size, one partial query tile
                      Shape{1, 64, 2, 64},   // BERT's head size, one full key panel
                      Shape{3, 65, 2, 64},   // a second key panel of one key
                      Shape{1, 130, 1, 48},  // three key panels, a 3-vector head
                      Shape{2, 20, 2, 80},   // a head of one 64-column panel and one vector
                      Shape{1, 33, 2, 128},  // two full value panels
                      Shape{2, 9, 2, 24}),   // not whole vectors: oneDNN only
    [](const ::testing::TestParamInfo<Shape>& info) {
      const Shape& s = info.param;
      return std::to_string(s.batch) + "x" + std::to_string(s.length) + "_heads" +
             std::to_string(s.heads) + "_dim" + std::to_string(s.head_dim);
    });

// Scores in the hundreds: e^score overflows float unless the row maximum is subtracted first,
// and most probabilities underflow to zero. Both kernels must still give finite rows that sum
// to one and match the definition.
TEST(Attention, LargeScoresStayFinite) {
  const Shape s{2, 70, 2, 64};
  const std::vector<float> qkv = random_qkv(s, 3.0f, 5);  // scores ~ N(0, 9^2 x 64)
  const Expected want = reference(s, qkv);
  double largest = 0.0;
  for (size_t i = 0; i < want.probabilities.size(); i += static_cast<size_t>(s.length)) {
    largest = std::max(
        largest, *std::max_element(want.probabilities.begin() + static_cast<long>(i),
                                   want.probabilities.begin() + static_cast<long>(i) + s.length));
  }
  ASSERT_GT(largest, 0.999) << "the inputs no longer make one key dominate a row";
  for (const auto kernel : {Attention::Kernel::fastest, Attention::Kernel::onednn}) {
    const Attention attention(s.batch, s.length, s.heads, s.head_dim, kernel);
    SCOPED_TRACE(attention.uses_own_kernel() ? "own kernel" : "oneDNN");
    const Outputs kept = run(attention, s, qkv, true);
    for (int64_t row = 0; row < s.batch * s.heads * s.length; ++row) {
      double total = 0.0;
      for (int64_t j = 0; j < s.length; ++j) {
        total += kept.probabilities[static_cast<size_t>(row * s.length + j)];
      }
      ASSERT_NEAR(total, 1.0, 1e-5) << "row " << row;
    }
    // A float dot product of head_dim terms is off by up to head_dim x 2^-24 x sum |q_d k_d|
    // (the standard bound), and a score off by e moves e^score by a factor of e^e ~ 1 + e:
    // this is the error any float kernel may have here, oneDNN's included. The bound is loose
    // by about 5x on these inputs.
    const double score_error = 2.0 * s.head_dim * std::ldexp(1.0, -24) * want.largest_abs_score;
    ASSERT_LT(score_error, 0.01) << "the inputs are too large for a meaningful bound";
    expect_near(kept.probabilities, want.probabilities, score_error, "probabilities");
    expect_near(kept.context, want.context, score_error * want.largest_abs_value, "context");
  }
}

}  // namespace
}  // namespace ordo::ops
