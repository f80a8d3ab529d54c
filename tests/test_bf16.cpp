// The bf16 path (EncoderOptions::compute = bf16, ops/bf16_linear.h): the rounding against an
// independent one (frexp/ldexp in double), the op against bf16-rounded inputs multiplied in
// double precision, and whole models against PyTorch's f32 hidden states. On a CPU (or under an
// ORDO_ISA) without native bf16, the same tests check that bf16 is refused with a message that
// says why, never run slowly in silence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

#include "io/safetensors.h"
#include "ops/bf16_linear.h"
#include "test_util.h"

namespace ordo::test {
namespace {

bool bf16_here() {
  return ops::bf16_unavailable_reason().empty();
}

// x rounded to bfloat16's 8 significant bits, ties to even, written with frexp instead of
// bit arithmetic. Finite inputs only.
double bf16_reference(float x) {
  if (x == 0.0f) return x;
  int exponent = 0;
  const double mantissa = std::frexp(static_cast<double>(x), &exponent);  // [0.5, 1)
  // 8 significant bits: scale the mantissa to [128, 256) and round half to even.
  const double scaled = std::ldexp(mantissa, 8);
  double rounded = std::nearbyint(scaled);  // the default rounding mode: ties to even
  // Below the smallest normal bf16 (2^-126), bits are lost to the exponent too.
  if (exponent - 1 < -126) {
    const int lost = -126 - (exponent - 1);
    rounded = std::ldexp(std::nearbyint(std::ldexp(scaled, -lost)), lost);
  }
  return std::ldexp(rounded, exponent - 8);
}

float from_bf16(uint16_t bits) {
  const uint32_t widened = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof value);
  return value;
}

std::vector<float> random_vector(size_t size, unsigned seed, float spread) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> values(size);
  for (float& value : values) value = normal(generator);
  return values;
}

TEST(RoundToBf16, MatchesRoundingToEightSignificantBitsTiesToEven) {
  std::vector<float> values = random_vector(20000, 1, 3.0f);
  for (float tiny : {1e-30f, -3e-38f, 1e-40f, -7e-45f}) values.push_back(tiny);  // subnormals too
  for (float big : {3.3e38f, -1e20f, 65504.0f}) values.push_back(big);
  // Exact ties: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 (rounds down to the even 1), and
  // 1 + 3 * 2^-8 halfway between 1 + 2^-7 and 1 + 2^-6 (rounds up to the even one).
  values.push_back(1.0f + std::ldexp(1.0f, -8));
  values.push_back(1.0f + 3 * std::ldexp(1.0f, -8));
  std::vector<uint16_t> rounded(values.size());
  ops::round_to_bf16(values.data(), static_cast<int64_t>(values.size()), rounded.data());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(static_cast<double>(from_bf16(rounded[i])), bf16_reference(values[i]))
        << "value " << values[i];
  }
  EXPECT_EQ(from_bf16(rounded[values.size() - 2]), 1.0f);
  EXPECT_EQ(from_bf16(rounded[values.size() - 1]), 1.0f + std::ldexp(1.0f, -6));
}

TEST(RoundToBf16, KeepsInfinitiesAndNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  const float special[3] = {inf, -inf, std::numeric_limits<float>::quiet_NaN()};
  uint16_t rounded[3];
  ops::round_to_bf16(special, 3, rounded);
  EXPECT_EQ(from_bf16(rounded[0]), inf);
  EXPECT_EQ(from_bf16(rounded[1]), -inf);
  EXPECT_TRUE(std::isnan(from_bf16(rounded[2])));
}

TEST(Bf16Linear, EqualsBf16InputsMultipliedInDouble) {
  const int64_t rows = 37, in = 384, out = 200;  // odd sizes: no block divides them
  const auto w = random_vector(static_cast<size_t>(out * in), 2, 0.05f);
  const auto x = random_vector(static_cast<size_t>(rows * in), 3, 1.0f);
  const auto b = random_vector(static_cast<size_t>(out), 4, 0.1f);
  const auto before = random_vector(static_cast<size_t>(rows * out), 5, 1.0f);
  if (!bf16_here()) {
    try {
      ops::Bf16Weights weights(w.data(), in, out);
      FAIL() << "bf16 weights were made where bf16 is unavailable";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bf16 matmuls: "), std::string::npos) << e.what();
    }
    return;
  }
  const ops::Bf16Weights weights(w.data(), in, out);
  for (const bool accumulate : {false, true}) {
    const ops::Bf16Linear op(
        in, out, std::nullopt,
        accumulate ? ops::Linear::Output::accumulate : ops::Linear::Output::overwrite,
        weights.desc(), rows);
    dnnl::stream stream(ops::cpu_engine());
    ops::AlignedBuffer scratchpad;
    std::vector<uint16_t> rounded;
    std::vector<float> y = before;
    op(stream, scratchpad, rounded, x.data(), rows, weights, b.data(), y.data());
    stream.wait();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t o = 0; o < out; ++o) {
        double sum = 0.0, magnitude = 0.0;
        for (int64_t i = 0; i < in; ++i) {
          const double term = bf16_reference(x[r * in + i]) * bf16_reference(w[o * in + i]);
          sum += term;
          magnitude += std::abs(term);
        }
        const double expected = sum + b[o] + (accumulate ? before[r * out + o] : 0.0);
        // f32 accumulation of exact bf16 x bf16 products: a few f32 ulps of the magnitude.
        ASSERT_NEAR(y[r * out + o], expected, 1e-5 * (magnitude + 1.0))
            << "row " << r << " column " << o << (accumulate ? " (accumulate)" : "");
      }
    }
  }
}

// Each bundled model, and each family fixture of test_families, in bf16 against PyTorch's f32
// hidden states on its reference batch.
struct Bf16Case {
  std::string name;
  std::filesystem::path model, reference;
  friend void PrintTo(const Bf16Case& c, std::ostream* out) { *out << c.name; }
};

std::vector<Bf16Case> bf16_cases() {
  std::vector<Bf16Case> cases;
  for (const char* twin : {"ordo-sinusoidal", "ordo-learned", "ordo-none", "ordo-rotary",
                           "ordo-alibi", "ordo-relative-bias"}) {
    cases.push_back({twin, std::filesystem::path(ORDO_MODELS_DIR) / twin,
                     fixture("bundled") / (std::string(twin) + ".safetensors")});
  }
  std::vector<std::filesystem::path> families;
  for (const auto& entry : std::filesystem::directory_iterator(fixture("families"))) {
    if (std::filesystem::exists(entry.path() / "reference.safetensors"))
      families.push_back(entry.path());
  }
  std::sort(families.begin(), families.end());
  for (const auto& directory : families) {
    cases.push_back(
        {directory.filename().string(), directory, directory / "reference.safetensors"});
  }
  return cases;
}

class ModelBf16 : public ::testing::TestWithParam<Bf16Case> {};

TEST_P(ModelBf16, HiddenStatesStayCloseToPyTorch) {
  const Bf16Case& c = GetParam();
  const models::LoadedModel model = models::load_model(c.model);
  const EncoderOptions options{std::nullopt, ComputeType::bf16};
  if (!bf16_here()) {
    EXPECT_THROW(Encoder(model.spec, options), Error);
    return;
  }
  const io::SafetensorsFile reference(c.reference);
  const ReferenceBatch batch = reference_batch(reference);
  const Encoder encoder(model.spec, options);
  const EncoderOutput output = encoder.forward(batch.input);
  const TensorView expected = reference.f32("last_hidden_state");
  ASSERT_EQ(output.last_hidden_state.shape(), expected.shape);
  const TokenAgreement agreement = token_agreement(output.last_hidden_state, expected, batch);
  const double worst_token = agreement.worst_cosine, worst_difference = agreement.max_difference;
  // bf16 keeps 8 significant bits (relative error 2^-9 per rounding): tokens stay within a
  // cosine of 0.999 of f32, and bf16 is not silently f32 either (it does differ).
  EXPECT_GE(worst_token, 0.999) << c.name;
  EXPECT_GT(worst_difference, 1e-5) << c.name << ": no difference from f32 at all";
  std::cout << c.name << " bf16 vs PyTorch f32: worst token cosine " << worst_token
            << ", max |difference| " << worst_difference << '\n';
}

INSTANTIATE_TEST_SUITE_P(Models, ModelBf16, testing::ValuesIn(bf16_cases()), [](const auto& info) {
  std::string n = info.param.name;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
});

}  // namespace
}  // namespace ordo::test
