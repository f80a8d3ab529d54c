// ops::Attention, both kernels (ordo's own AVX-512 one and oneDNN's primitives), against
// softmax(Q K^T + bias) V computed here in double precision from its definition, with q and k
// rotated first when a rotation is given, and keys farther than a sliding window left out of
// the softmax. Shapes cover a single token, query tiles of 1 to 6 rows, key panels cut at 64,
// and head sizes of 1 to 8 vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "ops/attention.h"
#include "ops/attention_kernel.h"
#include "ordo/error.h"

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

// q and k of every head rotated in double precision: pair p of the token at position t, the
// dimensions (p, p + pairs) or (2p, 2p + 1), turned by the angle whose cos and sin are given.
std::vector<double> rotated(const Shape& s, const std::vector<float>& qkv, const Rotation& r) {
  std::vector<double> out(qkv.begin(), qkv.end());
  const int64_t hidden = s.heads * s.head_dim;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t t = 0; t < s.length; ++t) {
      for (int64_t part = 0; part < 2; ++part) {
        for (int64_t h = 0; h < s.heads; ++h) {
          double* x =
              &out[static_cast<size_t>(((b * s.length + t) * 3 + part) * hidden + h * s.head_dim)];
          for (int64_t p = 0; p < r.pairs; ++p) {
            double& a = x[r.interleaved ? 2 * p : p];
            double& c = x[r.interleaved ? 2 * p + 1 : p + r.pairs];
            const double cos = r.cos[t * r.pairs + p], sin = r.sin[t * r.pairs + p];
            const double a0 = a, c0 = c;
            a = a0 * cos - c0 * sin;
            c = c0 * cos + a0 * sin;
          }
        }
      }
    }
  }
  return out;
}

// window > 0: query i sees key j only when |i - j| <= window (probability exactly 0 otherwise).
Expected reference(const Shape& s, const std::vector<float>& qkv_floats,
                   const AttentionPositions& positions = {}, int64_t window = 0) {
  const int64_t hidden = s.heads * s.head_dim;
  Expected out{std::vector<double>(static_cast<size_t>(s.batch * s.heads * s.length * s.length)),
               std::vector<double>(static_cast<size_t>(s.batch * s.length * hidden))};
  const std::vector<double> qkv = positions.rotation.empty()
                                      ? std::vector<double>(qkv_floats.begin(), qkv_floats.end())
                                      : rotated(s, qkv_floats, positions.rotation);
  const auto at = [&](int64_t b, int64_t token, int64_t part, int64_t h, int64_t d) {
    return qkv[static_cast<size_t>(((b * s.length + token) * 3 + part) * hidden + h * s.head_dim +
                                   d)];
  };
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.heads; ++h) {
      for (int64_t i = 0; i < s.length; ++i) {
        std::vector<double> scores(static_cast<size_t>(s.length));
        const auto seen = [&](int64_t j) { return window == 0 || std::abs(i - j) <= window; };
        for (int64_t j = 0; j < s.length; ++j) {
          double abs_score = 0.0;
          for (int64_t d = 0; d < s.head_dim; ++d) {
            scores[j] += at(b, i, 0, h, d) * at(b, j, 1, h, d);
            abs_score += std::abs(at(b, i, 0, h, d) * at(b, j, 1, h, d));
            out.largest_abs_value = std::max(out.largest_abs_value, std::abs(at(b, j, 2, h, d)));
          }
          out.largest_abs_score = std::max(out.largest_abs_score, abs_score);
          if (!positions.bias.empty()) scores[j] += positions.bias.row(b, h, i)[j];
          if (!seen(j)) scores[j] = -INFINITY;
        }
        const double maximum = *std::max_element(scores.begin(), scores.end());
        double total = 0.0;
        for (int64_t j = 0; j < s.length; ++j) {
          scores[j] = seen(j) ? std::exp(scores[j] - maximum) : 0.0;
          total += scores[j];
        }
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

Outputs run(const Attention& attention, const Shape& s, const std::vector<float>& qkv_values,
            bool keep, const AttentionPositions& positions = {}) {
  AlignedBuffer scratchpad, buffer;
  std::vector<float> qkv = qkv_values;  // a rotation works in place
  dnnl::stream stream(cpu_engine());
  // One float past the end, to catch a write out of bounds.
  std::vector<float> context(static_cast<size_t>(s.batch * s.length * s.heads * s.head_dim) + 1,
                             -7.0f);
  const float* probabilities =
      attention(stream, scratchpad, buffer, keep, qkv.data(), context.data(), positions);
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

// Position inside attention: a bias on the scores (one vector per head read along a sliding
// window, as ALiBi and T5 buckets give it, or a full tensor, as relative keys give it) and a
// rotation of q and k (both pair layouts, part of the head), alone and together.
struct PositionCase {
  const char* name;
  bool window_bias, full_bias, rotate, interleaved;
};

class AttentionPositionsTest : public ::testing::TestWithParam<PositionCase> {};

TEST_P(AttentionPositionsTest, BothKernelsMatchTheDefinition) {
  const PositionCase c = GetParam();
  for (const Shape s : {Shape{2, 70, 2, 64}, Shape{3, 9, 3, 16}, Shape{1, 5, 2, 24}}) {
    SCOPED_TRACE(std::to_string(s.length) + " tokens, head size " + std::to_string(s.head_dim));
    const std::vector<float> qkv = random_qkv(s, 0.5f, 23);
    const std::vector<float> window = random_qkv(Shape{1, 1, s.heads, 2 * s.length - 1}, 2.0f, 3);
    const std::vector<float> full =
        random_qkv(Shape{s.batch, s.length, s.heads, s.length}, 1.0f, 4);
    AttentionPositions positions;
    if (c.window_bias) {
      // Per head 2 length - 1 values for j - i = -(length - 1) .. length - 1.
      positions.bias = {window.data() + (s.length - 1), 0, 2 * s.length - 1, -1};
    } else if (c.full_bias) {
      positions.bias = {full.data(), s.heads * s.length * s.length, s.length * s.length, s.length};
    }
    const int64_t pairs = s.head_dim / 4;  // half of the head rotates
    std::vector<float> cos(static_cast<size_t>(s.length * pairs)), sin(cos.size());
    for (size_t i = 0; i < cos.size(); ++i) {
      cos[i] = static_cast<float>(std::cos(0.37 * static_cast<double>(i)));
      sin[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
    }
    if (c.rotate) positions.rotation = {pairs, c.interleaved, cos.data(), sin.data()};
    const Expected want = reference(s, qkv, positions);
    for (const auto kernel : {Attention::Kernel::fastest, Attention::Kernel::onednn}) {
      const Attention attention(s.batch, s.length, s.heads, s.head_dim, kernel,
                                !positions.bias.empty());
      SCOPED_TRACE(attention.uses_own_kernel() ? "own kernel" : "oneDNN");
      const Outputs kept = run(attention, s, qkv, true, positions);
      expect_near(kept.probabilities, want.probabilities, 2e-6, "probabilities");
      expect_near(kept.context, want.context, 2e-6, "context");
      const Outputs unkept = run(attention, s, qkv, false, positions);
      EXPECT_EQ(unkept.context, kept.context);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, AttentionPositionsTest,
    ::testing::Values(PositionCase{"window_bias", true, false, false, false},
                      PositionCase{"full_bias", false, true, false, false},
                      PositionCase{"rotation_halves", false, false, true, false},
                      PositionCase{"rotation_interleaved", false, false, true, true},
                      PositionCase{"rotation_and_bias", true, false, true, true}),
    [](const ::testing::TestParamInfo<PositionCase>& info) {
      return std::string(info.param.name);
    });

// Sliding-window local attention (ModernBERT's local layers): windows narrower than a query
// tile, crossing 64-key panels, wider than a panel, and as wide as the sequence (global
// attention again); alone and with a rotation and a bias. Both kernels against the masked
// softmax of the definition, and the probabilities outside the window exactly 0.
struct WindowCase {
  Shape shape;
  int64_t window;
};

class AttentionWindow : public ::testing::TestWithParam<WindowCase> {};

TEST_P(AttentionWindow, BothKernelsMatchTheMaskedDefinition) {
  const auto [s, window] = GetParam();
  const std::vector<float> qkv = random_qkv(s, 0.5f, 31);
  const std::vector<float> bias = random_qkv(Shape{1, 1, s.heads, 2 * s.length - 1}, 2.0f, 7);
  const int64_t pairs = s.head_dim / 2;
  std::vector<float> cos(static_cast<size_t>(s.length * pairs)), sin(cos.size());
  for (size_t i = 0; i < cos.size(); ++i) {
    cos[i] = static_cast<float>(std::cos(0.11 * static_cast<double>(i)));
    sin[i] = static_cast<float>(std::sin(0.11 * static_cast<double>(i)));
  }
  for (const bool positioned : {false, true}) {
    SCOPED_TRACE(positioned ? "with a rotation and a bias" : "alone");
    AttentionPositions positions;
    if (positioned) {
      positions.bias = {bias.data() + (s.length - 1), 0, 2 * s.length - 1, -1};
      positions.rotation = {pairs, false, cos.data(), sin.data()};
    }
    const Expected want = reference(s, qkv, positions, window);
    for (const auto kernel : {Attention::Kernel::fastest, Attention::Kernel::onednn}) {
      const Attention attention(s.batch, s.length, s.heads, s.head_dim, kernel, positioned, window);
      SCOPED_TRACE(attention.uses_own_kernel() ? "own kernel" : "oneDNN");
      const Outputs kept = run(attention, s, qkv, true, positions);
      expect_near(kept.probabilities, want.probabilities, 2e-6, "probabilities");
      expect_near(kept.context, want.context, 2e-6, "context");
      for (size_t i = 0; i < want.probabilities.size(); ++i) {
        if (want.probabilities[i] == 0.0) {
          ASSERT_EQ(kept.probabilities[i], 0.0f) << "outside the window at " << i;
        }
      }
      const Outputs unkept = run(attention, s, qkv, false, positions);
      EXPECT_EQ(unkept.context, kept.context);
    }
  }
}

// oneDNN's local path scores only the keys each band of queries can reach: a band of
// max(w, 16) queries against at most that + 2w keys. At ModernBERT's window (64 each side) over
// 1,024 tokens that is at most 1.5x the pairs the windows hold, against 8x for the whole matrix.
TEST(AttentionWindow, OneDnnScoresOnlyTheBandsKeys) {
  for (const auto& [length, window] : {std::pair<int64_t, int64_t>{1024, 64}, {300, 20}, {40, 5}}) {
    const Attention local(1, length, 2, 64, Attention::Kernel::onednn, false, window);
    EXPECT_GE(local.scored_pairs(), attended_pairs(length, window)) << length << " / " << window;
    EXPECT_LE(local.scored_pairs(), length * (std::max<int64_t>(window, 16) + 2 * window))
        << length << " / " << window;
    const Attention global(1, length, 2, 64, Attention::Kernel::onednn, false, 0);
    EXPECT_EQ(global.scored_pairs(), length * length);
  }
  const int64_t modernbert =
      Attention(1, 1024, 2, 64, Attention::Kernel::onednn, false, 64).scored_pairs();
  EXPECT_LE(modernbert, attended_pairs(1024, 64) * 3 / 2);
  EXPECT_LT(modernbert * 5, 1024 * 1024);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, AttentionWindow,
    ::testing::Values(WindowCase{{2, 70, 2, 64}, 8},    // ModernBERT's rule at fixture size
                      WindowCase{{1, 150, 1, 16}, 20},  // three panels, tiles cross them
                      WindowCase{{3, 9, 3, 16}, 1},     // narrower than a query tile
                      WindowCase{{1, 200, 2, 48}, 64},  // wider than a panel
                      WindowCase{{2, 20, 2, 80}, 3},    // a head of one panel and one vector
                      WindowCase{{1, 40, 2, 24}, 5},    // not whole vectors: oneDNN only
                      WindowCase{{2, 12, 1, 16}, 11}),  // as wide as the sequence: global
    [](const ::testing::TestParamInfo<WindowCase>& info) {
      const Shape& s = info.param.shape;
      return std::to_string(s.batch) + "x" + std::to_string(s.length) + "_dim" +
             std::to_string(s.head_dim) + "_window" + std::to_string(info.param.window);
    });

// The pair count the FLOP counts (`ordo bench`, the profile) use: the (query, key) pairs with
// |i - j| <= window, every pair when the window is 0 or covers the sequence.
TEST(Attention, AttendedPairsCountThePairsWithinTheWindow) {
  for (const int64_t length : {1, 2, 9, 70, 129, 200}) {
    for (const int64_t window : {0, 1, 5, 64, 68, 69, 70, 300}) {
      int64_t want = 0;
      for (int64_t i = 0; i < length; ++i) {
        for (int64_t j = 0; j < length; ++j) want += window == 0 || std::abs(i - j) <= window;
      }
      EXPECT_EQ(attended_pairs(length, window), want) << length << " tokens, window " << window;
    }
  }
}

// An op made for a bias refuses a call without one, and the other way round: a mismatch would
// otherwise add stale scores or drop the bias silently.
TEST(Attention, RefusesABiasItWasNotMadeFor) {
  const Shape s{1, 4, 1, 16};
  const std::vector<float> qkv = random_qkv(s, 0.5f, 1);
  const std::vector<float> bias(16, 0.0f);
  AttentionPositions biased;
  biased.bias = {bias.data(), 0, 0, 4};
  for (const auto kernel : {Attention::Kernel::fastest, Attention::Kernel::onednn}) {
    AlignedBuffer scratchpad, buffer;
    dnnl::stream stream(cpu_engine());
    std::vector<float> copy = qkv, context(64);
    const Attention plain(s.batch, s.length, s.heads, s.head_dim, kernel, false);
    EXPECT_THROW(plain(stream, scratchpad, buffer, false, copy.data(), context.data(), biased),
                 Error);
    const Attention with_bias(s.batch, s.length, s.heads, s.head_dim, kernel, true);
    EXPECT_THROW(with_bias(stream, scratchpad, buffer, false, copy.data(), context.data()), Error);
  }
}

}  // namespace
}  // namespace ordo::ops
