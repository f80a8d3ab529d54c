// The int8 path (EncoderOptions::int8, ops/quantized_linear.h): the op against the quantization
// scheme computed independently in double precision, and whole models against PyTorch's f32
// hidden states.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "io/safetensors.h"
#include "ops/quantized_linear.h"
#include "test_util.h"

namespace ordo::test {
namespace {

std::vector<float> random_vector(size_t size, unsigned seed, float spread) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> values(size);
  for (float& value : values) value = normal(generator);
  return values;
}

// The documented scheme, written out: s8 weights per output channel (scale max|w_o| / 127),
// u8 activations per row (scale max|x_r| / L, zero point Z; L = 127, Z = 128 with VNNI, else
// L = 63, Z = 64), y = s_x s_w sum (q_x - Z) q_w + b, then GELU or + y_before.
std::vector<double> emulate(const std::vector<float>& x, const std::vector<float>& w,
                            const std::vector<float>& b, const std::vector<float>& before,
                            int64_t rows, int64_t in, int64_t out, bool gelu, bool accumulate,
                            double& one_level) {
  const double levels = ops::int8_has_vnni() ? 127.0 : 63.0;
  std::vector<double> weight_scale(static_cast<size_t>(out));
  std::vector<int> qw(w.size());
  for (int64_t o = 0; o < out; ++o) {
    double largest = 0.0;
    for (int64_t i = 0; i < in; ++i) largest = std::max(largest, std::abs(double{w[o * in + i]}));
    weight_scale[o] = static_cast<float>(largest / 127.0);
    for (int64_t i = 0; i < in; ++i)
      qw[o * in + i] = static_cast<int>(std::round(w[o * in + i] / weight_scale[o]));
  }
  std::vector<double> y(static_cast<size_t>(rows * out));
  // The most one activation rounded to the neighbouring level can move an output.
  one_level = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    double largest = 0.0;
    for (int64_t i = 0; i < in; ++i) largest = std::max(largest, std::abs(double{x[r * in + i]}));
    const double scale = largest / levels;
    for (int64_t o = 0; o < out; ++o)
      one_level = std::max(one_level, scale * weight_scale[o] * 127);
    std::vector<int> qx(static_cast<size_t>(in));
    for (int64_t i = 0; i < in; ++i) qx[i] = static_cast<int>(std::round(x[r * in + i] / scale));
    for (int64_t o = 0; o < out; ++o) {
      long long sum = 0;
      for (int64_t i = 0; i < in; ++i) sum += static_cast<long long>(qx[i]) * qw[o * in + i];
      double v = scale * weight_scale[o] * static_cast<double>(sum) + b[o];
      if (gelu) v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      if (accumulate) v += before[r * out + o];
      y[r * out + o] = v;
    }
  }
  return y;
}

class QuantizedShapes
    : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, bool, bool>> {};

TEST_P(QuantizedShapes, OpFollowsTheQuantizationScheme) {
  const auto [rows, in, out, gelu, accumulate] = GetParam();
  const auto x = random_vector(static_cast<size_t>(rows * in), 1, 1.0f);
  const auto w = random_vector(static_cast<size_t>(out * in), 2, 0.05f);
  const auto b = random_vector(static_cast<size_t>(out), 3, 0.1f);
  const auto before = random_vector(static_cast<size_t>(rows * out), 4, 1.0f);
  double one_level = 0.0;
  const auto expected = emulate(x, w, b, before, rows, in, out, gelu, accumulate, one_level);

  const ops::QuantizedWeights weights(w.data(), in, out);
  const ops::QuantizedLinear op(
      in, out, gelu ? std::optional<Activation>(Activation::gelu) : std::nullopt,
      accumulate ? ops::Linear::Output::accumulate : ops::Linear::Output::overwrite, weights.desc(),
      rows);
  dnnl::stream stream(ops::cpu_engine());
  ops::AlignedBuffer scratchpad;
  ops::QuantizedBuffers buffers;
  std::vector<float> y = before;
  op(stream, scratchpad, buffers, x.data(), rows, weights, b.data(), y.data());
  stream.wait();
  // The same integers on both sides, except where x / s lies within float rounding of a
  // half-level and the op (in float) rounds it the other way than this double emulation: that
  // moves an output by at most one_level (~0.3% of the largest output here). A wrong zero point,
  // scale, layout or bias is off by far more.
  double worst = 0.0, largest = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    worst = std::max(worst, std::abs(y[i] - expected[i]));
    largest = std::max(largest, std::abs(expected[i]));
  }
  EXPECT_LT(worst, 1e-4 * largest + 2 * one_level)
      << "rows " << rows << " in " << in << " out " << out;
}

INSTANTIATE_TEST_SUITE_P(Shapes, QuantizedShapes,
                         ::testing::Values(std::make_tuple(1, 37, 70, false, false),
                                           std::make_tuple(5, 64, 96, true, false),
                                           std::make_tuple(33, 128, 384, false, true),
                                           std::make_tuple(130, 384, 1536, true, false),
                                           std::make_tuple(7, 1536, 384, false, true)));

// y = x W^T + b through the int8 op (no activation, overwrite); y starts at -1 everywhere, so a
// row the op failed to write shows.
std::vector<float> run_int8(const std::vector<float>& w, const std::vector<float>& x,
                            const std::vector<float>& b, int64_t in, int64_t out, int64_t rows) {
  const ops::QuantizedWeights weights(w.data(), in, out);
  const ops::QuantizedLinear op(in, out, std::nullopt, ops::Linear::Output::overwrite,
                                weights.desc(), rows);
  dnnl::stream stream(ops::cpu_engine());
  ops::AlignedBuffer scratchpad;
  ops::QuantizedBuffers buffers;
  std::vector<float> y(static_cast<size_t>(rows * out), -1.0f);
  op(stream, scratchpad, buffers, x.data(), rows, weights, b.data(), y.data());
  return y;
}

TEST(QuantizedLinear, ZeroRowQuantizesToZeroNotNaN) {
  const int64_t in = 16, out = 8;
  const auto w = random_vector(static_cast<size_t>(in * out), 5, 0.1f);
  const std::vector<float> x(static_cast<size_t>(2 * in), 0.0f), b(out, 0.5f);
  for (float v : run_int8(w, x, b, in, out, 2)) EXPECT_EQ(v, 0.5f);
}

TEST(QuantizedLinear, NonFiniteInputGivesNaNRowsNotFiniteOnes) {
  const int64_t in = 16, out = 8;
  const auto w = random_vector(static_cast<size_t>(in * out), 6, 0.1f);
  std::vector<float> x = random_vector(static_cast<size_t>(3 * in), 7, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();      // row 0
  x[in + 5] = std::numeric_limits<float>::infinity();  // row 1; row 2 stays finite
  const std::vector<float> b(out, 0.5f);
  const std::vector<float> y = run_int8(w, x, b, in, out, 3);
  for (int64_t o = 0; o < out; ++o) {
    EXPECT_TRUE(std::isnan(y[o]));
    EXPECT_TRUE(std::isnan(y[out + o]));
    EXPECT_TRUE(std::isfinite(y[2 * out + o]));
  }
}

// Each bundled model in int8 against PyTorch's f32 hidden states on the reference sentences.
class BundledInt8 : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledInt8, HiddenStatesStayCloseToPyTorch) {
  const std::string name = GetParam();
  const io::SafetensorsFile reference(fixture("bundled") / (name + ".safetensors"));
  const ReferenceBatch batch = reference_batch(reference);
  const models::LoadedModel model =
      models::load_model(std::filesystem::path(ORDO_MODELS_DIR) / name);
  const Encoder encoder(model.spec, EncoderOptions{std::nullopt, ComputeType::int8});
  const EncoderOutput output = encoder.forward(batch.input);
  const TensorView expected = reference.f32("last_hidden_state");
  ASSERT_EQ(output.last_hidden_state.shape(), expected.shape);
  const double worst_token =
      token_agreement(output.last_hidden_state, expected, batch).worst_cosine;
  // Per token, not only per sentence vector; the project's floor for sentence vectors is 0.99.
  EXPECT_GE(worst_token, 0.99) << name;
}

INSTANTIATE_TEST_SUITE_P(Models, BundledInt8, testing::Values("ordo-sinusoidal", "ordo-learned"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace ordo::test
