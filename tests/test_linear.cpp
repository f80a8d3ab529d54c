// ops::Linear against a plain double-precision loop, on both weight layouts: plain PyTorch
// [out][in] with a runtime row count, and packed for oneDNN's brgemm with a primitive per row
// count. Odd shapes on purpose: blocked layouts pad K and N to their block sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "kernel_availability.h"
#include "ops/cpu.h"
#include "ops/dot_gemm.h"
#include "ops/gated_product.h"
#include "ops/linear.h"
#include "ops/panel_gemm.h"
#include "ordo/error.h"
#include "random_values.h"

namespace ordo::ops {
namespace {

using test::random_vector;

// The activations as PyTorch defines them (torch.nn.GELU(), GELU(approximate="tanh"), ReLU,
// SiLU), in double precision.
double activate(double x, std::optional<Activation> activation) {
  if (!activation) return x;
  switch (*activation) {
    case Activation::gelu:
      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::gelu_tanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::relu:
      return x > 0.0 ? x : 0.0;
    case Activation::silu:
      return x / (1.0 + std::exp(-x));
  }
  return x;
}

// y[r][o] = act(sum_i x[r][i] w[o][i] + b[o] (+ y_before[r][o])): the sum-then-activation
// order of oneDNN's post-ops, which the panel kernel follows too.
std::vector<double> reference(const std::vector<float>& x, const std::vector<float>& w,
                              const std::vector<float>& b, const std::vector<float>& before,
                              int64_t rows, int64_t in, int64_t out,
                              std::optional<Activation> activation, bool accumulate) {
  std::vector<double> y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double sum = b[o];
      for (int64_t i = 0; i < in; ++i) sum += double{x[r * in + i]} * w[o * in + i];
      if (accumulate) sum += before[r * out + o];
      y[r * out + o] = activate(sum, activation);
    }
  }
  return y;
}

class LinearShapes
    : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, bool, bool>> {};

TEST_P(LinearShapes, PackedAndPlainMatchAPlainLoop) {
  const auto [rows, in, out, gelu, accumulate] = GetParam();
  const auto x = random_vector(static_cast<size_t>(rows * in), 1);
  const auto w = random_vector(static_cast<size_t>(out * in), 2);
  const auto b = random_vector(static_cast<size_t>(out), 3);
  const auto before = random_vector(static_cast<size_t>(rows * out), 4);
  const std::optional<Activation> activation =
      gelu ? std::optional<Activation>(Activation::gelu) : std::nullopt;
  const auto expected = reference(x, w, b, before, rows, in, out, activation, accumulate);
  const auto output = accumulate ? Linear::Output::accumulate : Linear::Output::overwrite;

  dnnl::stream stream(cpu_engine());
  AlignedBuffer scratchpad;
  const PackedWeights packed(w.data(), in, out);
  const Linear on_packed(in, out, activation, output, packed.desc(), rows);
  const Linear on_plain(in, out, activation, output);
  for (const bool use_packed : {true, false}) {
    std::vector<float> y = before;
    if (use_packed) {
      on_packed(stream, scratchpad, x.data(), rows, packed, b.data(), y.data());
    } else {
      on_plain(stream, scratchpad, x.data(), rows, w.data(), b.data(), y.data());
    }
    stream.wait();
    double worst = 0.0;
    for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - expected[i]));
    EXPECT_LT(worst, 1e-4 * std::sqrt(static_cast<double>(in)))
        << (use_packed ? "packed" : "plain") << " rows " << rows << " in " << in << " out " << out;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearShapes,
                         ::testing::Values(std::make_tuple(1, 37, 70, false, false),
                                           std::make_tuple(5, 37, 70, true, false),
                                           std::make_tuple(33, 128, 384, false, true),
                                           std::make_tuple(130, 64, 1152, true, false),
                                           std::make_tuple(16, 384, 1152, false, false),
                                           std::make_tuple(7, 1536, 384, false, true)));

TEST(PackedWeights, PackedExactlyWhenOneDnnRunsAvx512) {
  // oneDNN 2.6 has brgemm f32 matmul on AVX-512 only; elsewhere (a CPU without it, or
  // ORDO_ISA=avx2|generic) the plain matrix is used as it lies, without a copy. If this fails
  // where oneDNN runs AVX-512, ordo silently lost its fast path. oneDNN's ISAs are bit sets
  // (avx2_vnni is numerically above avx512_core without being AVX-512): compare the bits.
  const auto bits = [](dnnl::cpu_isa isa) { return static_cast<unsigned>(isa); };
  const unsigned avx512_core = bits(dnnl::cpu_isa::avx512_core);
  const bool avx512 = (bits(cpu_dispatch().onednn) & avx512_core) == avx512_core;
  const auto w = random_vector(768 * 3072, 5);
  const PackedWeights weights(w.data(), 768, 3072);
  EXPECT_EQ(weights.packed(), avx512);
  if (!weights.packed()) {
    EXPECT_EQ(weights.data(), w.data());
  }
}

TEST(Linear, PackedOpRefusesAnotherRowCount) {
  const auto w = random_vector(64 * 64, 6);
  const PackedWeights packed(w.data(), 64, 64);  // packed or plain: a fixed row count either way
  const Linear op(64, 64, std::nullopt, Linear::Output::overwrite, packed.desc(), 8);
  std::vector<float> x(64 * 9), b(64), y(64 * 9);
  dnnl::stream stream(cpu_engine());
  AlignedBuffer scratchpad;
  EXPECT_THROW(op(stream, scratchpad, x.data(), 9, packed, b.data(), y.data()), Error);
}

// One case of a kernel's shape test: rows x in -> out, activation index (-1: none), accumulate.
using KernelCase = std::tuple<int64_t, int64_t, int64_t, int, bool>;

// Random inputs for a KernelCase (seeds seed .. seed + 3), and the output buffer initialised to
// the residual with a guard after the last row.
struct KernelRun {
  int64_t rows, in, out;
  std::optional<Activation> activation;
  bool accumulate;
  std::vector<float> x, w, b, before, y;

  KernelRun(const KernelCase& c, unsigned seed)
      : rows(std::get<0>(c)),
        in(std::get<1>(c)),
        out(std::get<2>(c)),
        activation(std::get<3>(c) < 0
                       ? std::nullopt
                       : std::optional<Activation>(static_cast<Activation>(std::get<3>(c)))),
        accumulate(std::get<4>(c)),
        x(random_vector(static_cast<size_t>(rows * in), seed)),
        w(random_vector(static_cast<size_t>(out * in), seed + 1)),
        b(random_vector(static_cast<size_t>(out), seed + 2)),
        before(random_vector(static_cast<size_t>(rows * out), seed + 3)),
        y(before) {
    y.resize(y.size() + 64, 12345.0f);  // a guard after the last row: must stay untouched
  }
  Linear::Output output() const {
    return accumulate ? Linear::Output::accumulate : Linear::Output::overwrite;
  }

  // act(x W^T + b + y_before) to float rounding of a dot product of `in` terms in [-1, 1]: 25
  // times tighter than LinearShapes' tolerance, yet 2x above what the kernels show (16x3072x768:
  // 2.5e-5 panel, 5.9e-5 oneDNN at 65 rows); nothing written past the output.
  void expect_matches_plain_loop() const {
    const auto expected = reference(x, w, b, before, rows, in, out, activation, accumulate);
    double worst = 0.0;
    for (size_t i = 0; i < expected.size(); ++i)
      worst = std::max(worst, std::abs(y[i] - expected[i]));
    EXPECT_LT(worst, 4e-6 * std::sqrt(static_cast<double>(in)))
        << "rows " << rows << " in " << in << " out " << out;
    for (size_t i = before.size(); i < y.size(); ++i)
      ASSERT_EQ(y[i], 12345.0f) << "wrote past the output";
  }
};

// The shapes panel_gemm_preferred() names run on the panel kernel when the weights are packed
// (every row count up to kPanelGemmMaxRows, and wide outputs at any row count); the others on
// oneDNN. Both must give act(x W^T + b + y_before), the sum-then-activation order of oneDNN's
// post-ops. Shapes cover a partial last panel (out not a multiple of 64), depths padded to 16
// and split into several blocks, row counts that leave a partial row tile, and inputs of more
// than one 256-row block (257 and 300 rows, the last block partial).
using PanelCase = KernelCase;
class PanelGemmShapes : public ::testing::TestWithParam<PanelCase> {};

TEST_P(PanelGemmShapes, MatchesAPlainLoop) {
  KernelRun run(GetParam(), 11);
  const PackedWeights packed(run.w.data(), run.in, run.out);
  const Linear op(run.in, run.out, run.activation, run.output(), packed.desc(), run.rows);
  EXPECT_EQ(op.uses_panel_gemm(),
            packed.packed() && panel_gemm_supported() && panel_gemm_preferred(run.rows, run.out));
  dnnl::stream stream(cpu_engine());
  AlignedBuffer scratchpad;
  op(stream, scratchpad, run.x.data(), run.rows, packed, run.b.data(), run.y.data());
  stream.wait();
  run.expect_matches_plain_loop();
}

constexpr int kNone = -1;
constexpr int kGelu = static_cast<int>(Activation::gelu);
constexpr int kGeluTanh = static_cast<int>(Activation::gelu_tanh);
constexpr int kRelu = static_cast<int>(Activation::relu);
constexpr int kSilu = static_cast<int>(Activation::silu);

INSTANTIATE_TEST_SUITE_P(
    Shapes, PanelGemmShapes,
    ::testing::Values(PanelCase{1, 768, 2304, kNone, false}, PanelCase{5, 37, 70, kGelu, false},
                      PanelCase{6, 300, 64, kRelu, true}, PanelCase{7, 1000, 200, kSilu, false},
                      PanelCase{13, 128, 130, kGeluTanh, true},
                      PanelCase{128, 768, 192, kGelu, true}, PanelCase{128, 1536, 384, kNone, true},
                      PanelCase{129, 384, 100, kGeluTanh, false},
                      PanelCase{300, 200, 70, kGelu, true}, PanelCase{16, 3072, 768, kNone, true},
                      PanelCase{257, 64, 830, kSilu, false},
                      PanelCase{300, 1000, 768, kGelu, true}));

// y[i] = act(bias[i] + 1) for every probe input (bias[i] = inputs[i] - 1), to 2e-7 relative, with
// the sign kept wherever the exact value is not (nearly) zero.
void expect_activations_hold(const std::vector<float>& y, const std::vector<float>& bias,
                             const std::vector<double>& inputs, Activation activation) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const double expected = activate(double{bias[i]} + 1.0, activation);
    EXPECT_NEAR(y[i], expected, 2e-7 * std::max(1.0, std::abs(expected)))
        << "activation " << static_cast<int>(activation) << " at " << inputs[i];
    EXPECT_FALSE(std::signbit(y[i]) != std::signbit(expected) && expected != 0.0 &&
                 std::abs(expected) > 1e-30)
        << "sign at " << inputs[i];
  }
}

// Far into both tails, where the activations' exponentials must neither overflow nor lose the
// sign: GELU(-20) is -0 to float precision, SiLU(-100) about -4e-42, GELU(30) is 30.
TEST(PanelGemm, ActivationsHoldAtLargeMagnitudes) {
  constexpr int64_t kIn = 16, kOut = 64;
  const std::vector<double> inputs = {-100.0, -30.0, -20.0, -9.0, -3.0, -1e-3, 0.0,
                                      1e-3,   0.5,   3.0,   9.0,  20.0, 30.0,  88.0};
  // One input column of 1: each output is its bias, so the activation sees exactly `inputs`.
  std::vector<float> weights(kIn * kOut, 0.0f);
  for (int64_t o = 0; o < kOut; ++o) weights[o * kIn] = 1.0f;
  const PackedWeights packed(weights.data(), kIn, kOut);
  const std::string unavailable = test::panel_kernel_unavailable(packed);
  if (!unavailable.empty()) GTEST_SKIP() << "the panel kernel does not run: " << unavailable;
  std::vector<float> x(kIn, 0.0f);
  x[0] = 1.0f;
  std::vector<float> bias(kOut, 0.0f);
  for (size_t i = 0; i < inputs.size(); ++i) bias[i] = static_cast<float>(inputs[i]) - 1.0f;
  for (const Activation activation :
       {Activation::gelu, Activation::gelu_tanh, Activation::relu, Activation::silu}) {
    const Linear op(kIn, kOut, activation, Linear::Output::overwrite, packed.desc(), 1);
    ASSERT_TRUE(op.uses_panel_gemm());
    std::vector<float> y(kOut);
    dnnl::stream stream(cpu_engine());
    AlignedBuffer scratchpad;
    op(stream, scratchpad, x.data(), 1, packed, bias.data(), y.data());
    expect_activations_hold(y, bias, inputs, activation);
  }
}

// Plain weights at up to kDotGemmMaxRows rows run on the AVX2 dot kernel where AVX2 is the
// level in use (on this suite's ORDO_ISA=avx2 rerun, or an AVX2 CPU); more rows on gemm:jit.
// Shapes cover every tile remainder: rows not a multiple of 3, outputs not a multiple of 4 or 8
// (the masked last group), depths not a multiple of 8 (the masked last step), one output.
using DotCase = KernelCase;
class DotGemmShapes : public ::testing::TestWithParam<DotCase> {};

TEST_P(DotGemmShapes, MatchesAPlainLoop) {
  KernelRun run(GetParam(), 21);
  const Linear op(run.in, run.out, run.activation, run.output());
  EXPECT_EQ(op.uses_dot_gemm(run.rows), dot_gemm_supported() && run.rows <= kDotGemmMaxRows);
  dnnl::stream stream(cpu_engine());
  AlignedBuffer scratchpad;
  op(stream, scratchpad, run.x.data(), run.rows, run.w.data(), run.b.data(), run.y.data());
  stream.wait();
  run.expect_matches_plain_loop();
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, DotGemmShapes,
    ::testing::Values(DotCase{1, 768, 2304, kNone, false}, DotCase{1, 5, 1, kGelu, true},
                      DotCase{2, 37, 70, kGelu, false}, DotCase{3, 8, 8, kRelu, true},
                      DotCase{4, 300, 13, kSilu, false}, DotCase{16, 3072, 768, kNone, true},
                      DotCase{17, 129, 130, kGeluTanh, true}, DotCase{31, 1024, 40, kGelu, false},
                      DotCase{kDotGemmMaxRows, 384, 100, kGeluTanh, true},
                      DotCase{kDotGemmMaxRows + 1, 64, 70, kSilu, false}));

// Called directly: without a bias (the families whose linears have none) the kernel adds
// nothing; more rows than kDotGemmMaxRows are taken in chunks; a depth of 512 floats (rows 2 KiB
// apart) goes through the input's padded copy.
TEST(DotGemm, NullBiasChunksAndPaddedCopy) {
  const std::string unavailable = test::dot_kernel_unavailable();
  if (!unavailable.empty()) GTEST_SKIP() << "the dot kernel does not run: " << unavailable;
  constexpr int64_t kRows = 2 * kDotGemmMaxRows + 5, kIn = 512, kOut = 11;
  const auto x = random_vector(kRows * kIn, 31);
  const auto w = random_vector(kOut * kIn, 32);
  const std::vector<float> zeros(kOut, 0.0f);
  const auto expected = reference(x, w, zeros, {}, kRows, kIn, kOut, std::nullopt, false);
  std::vector<float> y(kRows * kOut, -1.0f);
  AlignedBuffer scratch;
  dot_gemm(x.data(), kRows, kIn, w.data(), kOut, nullptr, std::nullopt, false, scratch, y.data());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-4) << i;
}

// As PanelGemm.ActivationsHoldAtLargeMagnitudes, for the AVX2 activations (2^n is built from
// exponent bits there, with no scalef to saturate it).
TEST(DotGemm, ActivationsHoldAtLargeMagnitudes) {
  const std::string unavailable = test::dot_kernel_unavailable();
  if (!unavailable.empty()) GTEST_SKIP() << "the dot kernel does not run: " << unavailable;
  constexpr int64_t kIn = 3, kOut = 16;
  const std::vector<double> inputs = {-100.0, -30.0, -20.0, -9.0, -3.0, -1e-3, 0.0,  1e-3,
                                      0.5,    3.0,   9.0,   20.0, 30.0, 88.0,  100.0};
  std::vector<float> weights(kIn * kOut, 0.0f);
  for (int64_t o = 0; o < kOut; ++o) weights[o * kIn] = 1.0f;
  const std::vector<float> x = {1.0f, 0.0f, 0.0f};
  std::vector<float> bias(kOut, 0.0f);
  for (size_t i = 0; i < inputs.size(); ++i) bias[i] = static_cast<float>(inputs[i]) - 1.0f;
  for (const Activation activation :
       {Activation::gelu, Activation::gelu_tanh, Activation::relu, Activation::silu}) {
    std::vector<float> y(kOut);
    AlignedBuffer scratch;
    dot_gemm(x.data(), 1, kIn, weights.data(), kOut, bias.data(), activation, false, scratch,
             y.data());
    expect_activations_hold(y, bias, inputs, activation);
  }
}

// The VmFlags line of the /proc/self/smaps mapping that holds `address`, or "" if none does.
std::string mapping_flags(const void* address) {
  const auto target = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-') {  // a mapping's first line
      inside = begin <= target && target < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// The middle of a gated FFN: act(gate) * up from each [gate | up] row, against PyTorch's
// activations in double. Widths that are not multiples of 16 exercise the masked tail; 3 x 4
// in magnitude covers GELU's and SiLU's curved range and both tails.
TEST(GatedProduct, MatchesActOfGateTimesUp) {
  for (const Activation activation :
       {Activation::gelu, Activation::gelu_tanh, Activation::relu, Activation::silu}) {
    for (const int64_t width : {int64_t{1}, int64_t{37}, int64_t{64}, int64_t{200}}) {
      for (const int64_t rows : {int64_t{1}, int64_t{9}, int64_t{31}}) {
        std::vector<float> gate_up = test::random_vector(static_cast<size_t>(rows * 2 * width),
                                                         static_cast<unsigned>(rows + width));
        for (float& value : gate_up) value *= 4.0f;
        std::vector<float> out(static_cast<size_t>(rows * width), -7.0f);
        gated_product(gate_up.data(), rows, width, activation, out.data());
        double worst = 0.0;
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t i = 0; i < width; ++i) {
            const double gate = gate_up[r * 2 * width + i], up = gate_up[r * 2 * width + width + i];
            worst = std::max(worst, std::abs(out[r * width + i] - activate(gate, activation) * up));
          }
        }
        EXPECT_LE(worst, 2e-5) << static_cast<int>(activation) << " " << width << "x" << rows;
      }
    }
  }
}

// A gated FFN's first half fused on the panel kernel (Linear::gated): act(x Wg + bg) * (x Wu + bu)
// against the double loop, and bit for bit what the unfused matmul + gated_product() give (the
// header's promise: the same arithmetic in the same order). Shapes: a partial row tile, exactly
// one, the row limit of the small-input path, more than one 256-row block with a partial last
// one (300 rows, 768 columns: only outputs that wide take the panel kernel past 128 rows),
// depths padded to 16 (100) and the full block (768); every activation.
using GatedCase = std::tuple<int64_t, int64_t, int64_t, int>;  // rows, in, width, activation
class PanelGemmGated : public ::testing::TestWithParam<GatedCase> {};

TEST_P(PanelGemmGated, MatchesActOfGateTimesUpAndTheUnfusedPath) {
  const auto [rows, in, width, activation_index] = GetParam();
  const auto activation = static_cast<Activation>(activation_index);
  const auto x = random_vector(static_cast<size_t>(rows * in), 41);
  const auto w = random_vector(static_cast<size_t>(2 * width * in), 42);  // gate rows, then up
  const auto b = random_vector(static_cast<size_t>(2 * width), 43);
  const PackedWeights packed(w.data(), in, 2 * width);
  const std::string unavailable = test::panel_kernel_unavailable(packed);
  if (!unavailable.empty()) GTEST_SKIP() << "the panel kernel does not run: " << unavailable;
  const Linear op(in, 2 * width, std::nullopt, Linear::Output::overwrite, packed.desc(), rows);
  ASSERT_TRUE(op.fuses_gated_product());
  std::vector<float> fused(static_cast<size_t>(rows * width + 64), 12345.0f);  // + a guard
  op.gated(x.data(), rows, packed, b.data(), activation, fused.data());

  // Gate and up each to KernelRun's dot-product tolerance d; their product then to about
  // d * (|act'| |up| + |act(gate)|), with |act'| <= 1.13 for these activations.
  const double d = 4e-6 * std::sqrt(static_cast<double>(in));
  const auto gate_up = reference(x, w, b, {}, rows, in, 2 * width, std::nullopt, false);
  double worst = 0.0;  // error over its bound
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < width; ++i) {
      const double gate = activate(gate_up[r * 2 * width + i], activation);
      const double up = gate_up[r * 2 * width + width + i];
      const double bound = d * (1.2 * std::abs(up) + std::abs(gate) + 1.0);
      worst = std::max(worst, std::abs(fused[r * width + i] - gate * up) / bound);
    }
  }
  EXPECT_LT(worst, 1.0);
  for (size_t i = static_cast<size_t>(rows * width); i < fused.size(); ++i)
    ASSERT_EQ(fused[i], 12345.0f) << "wrote past the output";

  dnnl::stream stream(cpu_engine());
  AlignedBuffer scratchpad;
  std::vector<float> unfused_gate_up(static_cast<size_t>(rows * 2 * width));
  op(stream, scratchpad, x.data(), rows, packed, b.data(), unfused_gate_up.data());
  std::vector<float> unfused(static_cast<size_t>(rows * width));
  gated_product(unfused_gate_up.data(), rows, width, activation, unfused.data());
  for (size_t i = 0; i < unfused.size(); ++i) ASSERT_EQ(fused[i], unfused[i]) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(Shapes, PanelGemmGated,
                         ::testing::Values(GatedCase{1, 768, 192, kSilu},
                                           GatedCase{5, 100, 64, kGelu},
                                           GatedCase{6, 64, 128, kGeluTanh},
                                           GatedCase{kPanelGemmMaxRows, 768, 256, kSilu},
                                           GatedCase{300, 100, 384, kRelu}));

// Where the fused kernel cannot run the matmul still does, apart from the product: a width that is
// not whole panels, an input deeper than one block, an activation or a residual on the op itself.
TEST(PanelGemmGated, FusesOnlyWhatItTakes) {
  struct Case {
    int64_t in, out;
    std::optional<Activation> activation;
    Linear::Output output;
    bool fuses;
  };
  for (const Case& c : {Case{768, 256, std::nullopt, Linear::Output::overwrite, true},
                        Case{768, 200, std::nullopt, Linear::Output::overwrite, false},
                        Case{769, 256, std::nullopt, Linear::Output::overwrite, false},
                        Case{768, 256, Activation::gelu, Linear::Output::overwrite, false},
                        Case{768, 256, std::nullopt, Linear::Output::accumulate, false}}) {
    const auto w = random_vector(static_cast<size_t>(c.in * c.out), 44);
    const PackedWeights packed(w.data(), c.in, c.out);
    const Linear op(c.in, c.out, c.activation, c.output, packed.desc(), 4);
    const bool panel = op.uses_panel_gemm();
    EXPECT_EQ(op.fuses_gated_product(), panel && c.fuses) << c.in << "x" << c.out;
    if (!op.fuses_gated_product()) {
      std::vector<float> x(static_cast<size_t>(4 * c.in)), y(static_cast<size_t>(4 * c.out / 2));
      EXPECT_THROW(op.gated(x.data(), 4, packed, w.data(), Activation::silu, y.data()), Error);
    }
  }
}

TEST(AlignedBuffer, LargeBuffersStartOnAHugePageAndAskForTransparentHugePages) {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  AlignedBuffer small;
  const float* small_data = small.reserve(1000);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small_data) % 64, 0u);

  // 3 MiB: one whole huge page, then a 1 MiB tail left on small pages.
  AlignedBuffer large;
  float* data = large.reserve(3 * kHugePage / 2 / sizeof(float));
  ASSERT_EQ(reinterpret_cast<uintptr_t>(data) % kHugePage, 0u);
  for (size_t i = 0; i < 3 * kHugePage / 2 / sizeof(float); ++i) data[i] = 1.0f;  // usable

  // Where the kernel has transparent huge pages, the first 2 MiB carry MADV_HUGEPAGE ("hg").
  if (std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled")) {
    const std::string flags = mapping_flags(data);
    ASSERT_FALSE(flags.empty()) << "no /proc/self/smaps mapping holds the buffer";
    EXPECT_NE((flags + " ").find(" hg "), std::string::npos) << flags;
    EXPECT_EQ((mapping_flags(small_data) + " ").find(" hg "), std::string::npos);
  }
}

}  // namespace
}  // namespace ordo::ops
