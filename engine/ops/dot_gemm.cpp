#include "ops/dot_gemm.h"

#include <algorithm>

#include "ops/cpu.h"
#include "ordo/error.h"

namespace ordo::ops {

bool dot_gemm_supported() {
  return cpu_dispatch().avx2_kernels();
}

}  // namespace ordo::ops

// The kernel is AVX2 code: only x86 builds compile it. Elsewhere dot_gemm_supported() is false,
// so the stub below is never called.
#if ORDO_X86
#include "ops/avx2.h"
#include "ops/work_shares.h"

namespace ordo::ops {
namespace {

// 3 rows x 4 outputs: 12 sums, 3 input vectors and one weight vector at a time in the 16
// registers AVX2 has.
constexpr int kTileRows = 3;
constexpr int kTileOutputs = 4;
// Outputs are finished 8 at a time, so that bias, residual and activation run on whole vectors:
// a group of 8 is two passes of 4 over every row tile.
constexpr int64_t kGroup = 8;
// A pass reads its 4 weight rows once per row tile: up to 768 deep they (12 KiB) and one tile's
// inputs (9 KiB) stay in a 32 KiB L1 together. Deeper matrices (the FFN's 3072) are summed in
// blocks of up to 768, each block's sums added to the earlier blocks'.
constexpr int64_t kMaxDepth = 768;
constexpr int64_t kCacheLine = 64;

struct Problem {
  const float* input;
  int64_t input_stride;  // floats from one input row to the next
  int64_t rows;
  int64_t in_features;
  const float* weight;
  int64_t out_features;
  const float* bias;
  std::optional<Activation> activation;
  bool accumulate;
};

// One tile's share of one depth block, and the part of the next group's weights to prefetch
// meanwhile (spread over the k-steps, so the weights stream in at the rate the arithmetic
// allows: a thread's share of weight rows is contiguous, so "next" is simply what follows).
struct Tile {
  int64_t first;   // row
  int64_t output;  // weight row
  int64_t k0;
  int64_t depth;
  bool first_block;
  float* sums;  // [rows][kGroup] at (first, this pass's column)
  const char* prefetch_begin;
  const char* prefetch_end;
};

// sums[r][0 .. 4) (+)= input rows first .. first + Rows against weight rows output .. output +
// Outputs over one depth block; a missing output's sum is 0. Each sum is 8 partial sums (one
// per lane) added at the end, as oneDNN's kernels also split long dot products.
template <int Rows, int Outputs>
ORDO_AVX2 void dot_tile(const Problem& problem, const Tile& tile) {
  const int64_t in = problem.in_features;
  const float* x[Rows];
  const float* w[Outputs];
  for (int r = 0; r < Rows; ++r)
    x[r] = problem.input + (tile.first + r) * problem.input_stride + tile.k0;
  for (int o = 0; o < Outputs; ++o) w[o] = problem.weight + (tile.output + o) * in + tile.k0;
  __m256 acc[Rows][Outputs];
  for (auto& row : acc) {
    for (auto& sum : row) sum = _mm256_setzero_ps();
  }
  const char* prefetch = tile.prefetch_begin;
  const int64_t prefetch_bytes = tile.prefetch_end - tile.prefetch_begin;
  const auto step = [&](int64_t k) ORDO_AVX2 {
    __m256 xs[Rows];
    for (int r = 0; r < Rows; ++r) xs[r] = _mm256_loadu_ps(x[r] + k);
    for (int o = 0; o < Outputs; ++o) {
      const __m256 ws = _mm256_loadu_ps(w[o] + k);
      for (int r = 0; r < Rows; ++r) acc[r][o] = _mm256_fmadd_ps(xs[r], ws, acc[r][o]);
    }
  };
  int64_t k = 0;
  // Prefetches are checked once per 4 steps: a check per step competes with the FMAs.
  for (; k + 32 <= tile.depth; k += 32) {
    while (prefetch < tile.prefetch_end &&
           (prefetch - tile.prefetch_begin) * tile.depth < (k + 32) * prefetch_bytes) {
      _mm_prefetch(prefetch, _MM_HINT_T1);
      prefetch += kCacheLine;
    }
    step(k);
    step(k + 8);
    step(k + 16);
    step(k + 24);
  }
  for (; k + 8 <= tile.depth; k += 8) step(k);
  if (k < tile.depth) {
    const __m256i mask = avx2::tail_mask(tile.depth - k);
    __m256 xs[Rows];
    for (int r = 0; r < Rows; ++r) xs[r] = _mm256_maskload_ps(x[r] + k, mask);
    for (int o = 0; o < Outputs; ++o) {
      const __m256 ws = _mm256_maskload_ps(w[o] + k, mask);
      for (int r = 0; r < Rows; ++r) acc[r][o] = _mm256_fmadd_ps(xs[r], ws, acc[r][o]);
    }
  }
  for (; prefetch < tile.prefetch_end; prefetch += kCacheLine) _mm_prefetch(prefetch, _MM_HINT_T1);
  for (int r = 0; r < Rows; ++r) {
    __m256 four[kTileOutputs];
    for (int o = 0; o < kTileOutputs; ++o) four[o] = o < Outputs ? acc[r][o] : _mm256_setzero_ps();
    __m128 sum = avx2::sum_lanes(four[0], four[1], four[2], four[3]);
    float* to = tile.sums + r * kGroup;
    if (!tile.first_block) sum = _mm_add_ps(sum, _mm_loadu_ps(to));
    _mm_storeu_ps(to, sum);
  }
}

template <int Rows>
ORDO_AVX2 void dot_tile_outputs(const Problem& problem, const Tile& tile, int64_t outputs) {
  switch (outputs) {
    case 1:
      return dot_tile<Rows, 1>(problem, tile);
    case 2:
      return dot_tile<Rows, 2>(problem, tile);
    case 3:
      return dot_tile<Rows, 3>(problem, tile);
    default:
      return dot_tile<Rows, kTileOutputs>(problem, tile);
  }
}

ORDO_AVX2 void run_tile(const Problem& problem, const Tile& tile, int64_t rows, int64_t outputs) {
  switch (rows) {
    case 1:
      return dot_tile_outputs<1>(problem, tile, outputs);
    case 2:
      return dot_tile_outputs<2>(problem, tile, outputs);
    default:
      return dot_tile_outputs<kTileRows>(problem, tile, outputs);
  }
}

// Outputs [output, output + outputs), outputs <= 8, of problem.rows <= kDotGemmMaxRows rows of
// `out`: the dot products into `sums`, then bias, residual and activation on one vector per row.
// [prefetch_begin, prefetch_end) is the next group's weights, within this thread's share.
ORDO_AVX2 void run_group(const Problem& problem, float* out, int64_t output, int64_t outputs,
                         const char* prefetch_begin, const char* prefetch_end) {
  float sums[kDotGemmMaxRows][kGroup];
  const int64_t in = problem.in_features;
  const int64_t blocks = std::max<int64_t>(1, (in + kMaxDepth - 1) / kMaxDepth);
  const int64_t depth = ((in + blocks - 1) / blocks + 7) / 8 * 8;  // even blocks of whole steps
  const int64_t tiles = (problem.rows + kTileRows - 1) / kTileRows;
  const int64_t passes = (outputs + kTileOutputs - 1) / kTileOutputs;
  const int64_t calls = passes * blocks * tiles;
  const int64_t lines = (prefetch_end - prefetch_begin + kCacheLine - 1) / kCacheLine;
  const int64_t lines_per_call = (lines + calls - 1) / calls;
  int64_t call = 0;
  for (int64_t pass = 0; pass < passes; ++pass) {
    const int64_t column = pass * kTileOutputs;
    for (int64_t k0 = 0; k0 < std::max<int64_t>(in, 1); k0 += depth) {
      for (int64_t t = 0; t < tiles; ++t, ++call) {
        Tile tile{};
        tile.first = t * kTileRows;
        tile.output = output + column;
        tile.k0 = k0;
        tile.depth = std::min(depth, in - k0);
        tile.first_block = k0 == 0;
        tile.sums = &sums[tile.first][column];
        tile.prefetch_begin =
            std::min(prefetch_end, prefetch_begin + call * lines_per_call * kCacheLine);
        tile.prefetch_end =
            std::min(prefetch_end, tile.prefetch_begin + lines_per_call * kCacheLine);
        run_tile(problem, tile, std::min<int64_t>(kTileRows, problem.rows - tile.first),
                 std::min<int64_t>(kTileOutputs, outputs - column));
      }
    }
  }
  if (passes == 1) {
    for (int64_t r = 0; r < problem.rows; ++r)
      std::fill_n(&sums[r][kTileOutputs], kTileOutputs, 0.0f);
  }
  const __m256i mask = avx2::tail_mask(outputs);
  const __m256 bias = problem.bias != nullptr ? _mm256_maskload_ps(problem.bias + output, mask)
                                              : _mm256_setzero_ps();
  for (int64_t r = 0; r < problem.rows; ++r) {
    float* destination = out + r * problem.out_features + output;
    __m256 value = _mm256_add_ps(_mm256_loadu_ps(sums[r]), bias);
    if (problem.accumulate) value = _mm256_add_ps(value, _mm256_maskload_ps(destination, mask));
    if (problem.activation) value = avx2::activate(value, *problem.activation);
    _mm256_maskstore_ps(destination, mask, value);
  }
}

}  // namespace

void dot_gemm(const float* input, int64_t rows, int64_t in_features, const float* weight,
              int64_t out_features, const float* bias, std::optional<Activation> activation,
              bool accumulate, AlignedBuffer& scratch, float* output) {
  if (out_features <= 0) return;
  const int64_t groups = (out_features + kGroup - 1) / kGroup;
  const int64_t group_bytes = kGroup * in_features * static_cast<int64_t>(sizeof(float));
  // Rows a multiple of 2 KiB apart put a tile's input vectors in the same few L1 sets as its
  // weight vectors (for the FFN's 3072-deep matmul all seven in one set of 8 ways, 0.7x gemm:jit's
  // speed): such inputs are copied once with 64 bytes more between rows.
  int64_t stride = in_features;
  if (in_features % 512 == 0) {
    stride = in_features + 16;
    scratch.reserve(static_cast<size_t>(std::min(rows, kDotGemmMaxRows) * stride));
  }
  // More rows than a group's sums hold are taken kDotGemmMaxRows at a time.
  for (int64_t row = 0; row < rows; row += kDotGemmMaxRows) {
    const int64_t chunk = std::min(kDotGemmMaxRows, rows - row);
    const float* chunk_input = input + row * in_features;
    if (stride != in_features) {
      for (int64_t r = 0; r < chunk; ++r)
        std::copy_n(chunk_input + r * in_features, in_features, scratch.data() + r * stride);
      chunk_input = scratch.data();
    }
    const Problem problem{chunk_input,  stride, chunk,      in_features, weight,
                          out_features, bias,   activation, accumulate};
    float* chunk_output = output + row * out_features;
    run_shares(
        [&](int owner, int team) {
          return share_begin(groups, owner + 1, team) - share_begin(groups, owner, team);
        },
        [&](int owner, int team, int64_t item) {
          const int64_t group = share_begin(groups, owner, team) + item;
          const auto* weights = reinterpret_cast<const char*>(weight);
          const char* share_end =
              weights + std::min(share_begin(groups, owner + 1, team) * group_bytes,
                                 out_features * in_features * static_cast<int64_t>(sizeof(float)));
          const char* next = std::min(share_end, weights + (group + 1) * group_bytes);
          run_group(problem, chunk_output, group * kGroup,
                    std::min(kGroup, out_features - group * kGroup), next,
                    std::min(share_end, next + group_bytes));
        });
  }
}

}  // namespace ordo::ops

#else  // !ORDO_X86

namespace ordo::ops {

void dot_gemm(const float*, int64_t, int64_t, const float*, int64_t, const float*,
              std::optional<Activation>, bool, AlignedBuffer&, float*) {
  throw Error("internal error: ordo's AVX2 dot kernel called on a build without it");
}

}  // namespace ordo::ops

#endif  // ORDO_X86
