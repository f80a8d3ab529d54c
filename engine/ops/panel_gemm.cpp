#include "ops/panel_gemm.h"

#include <algorithm>
#include <cstddef>
#include <string>

#include "ops/cpu.h"
#include "ordo/error.h"

// The kernel is AVX-512 code: only x86 builds compile it. Elsewhere panel_gemm_supported() is
// false, so the stub below is never called.
#if ORDO_X86
#include "ops/avx512.h"
#include "ops/work_shares.h"

namespace ordo::ops {
namespace {

using avx512::activate;
using avx512::kCacheLine;

// 6 rows x 64 columns of output stay in 24 of the 32 vector registers while one k-step loads 4
// vectors of weights and broadcasts 6 inputs: 24 FMAs (12 cycles on 2 FMA ports) per 10 loads.
constexpr int kTileRows = 6;
constexpr int64_t kVectors = kPanelColumns / 16;
// Weights are consumed in blocks of up to 768 rows (192 KiB), reused by every row tile from L2;
// without blocking, a 3072-deep FFN panel and the input do not fit L2 together (77% of peak at
// 128x3072x768 against 89%). Against blocks of 256 rows, 768 saves three of every four passes
// over the output and is faster at each of these shapes (in-process, cold weights, interleaved
// with brgemm, ratios to it: 128x768x3072 GELU 1.165 against 1.123, 128x3072x768 1.099 against
// 1.059, 1024x768x3072 GELU 1.044 against 0.930).
static_assert(kPanelMaxDepth == 768);
constexpr int64_t kMaxDepth = kPanelMaxDepth;
// Inputs of more rows are taken 256 rows at a time: each thread passes its panels over one such
// block, whose inputs (768 KiB at 768 features) stay in L2 for all of them, before the next.
// At 1,024 rows (in-process, cold weights, interleaved with brgemm), ratios to brgemm with
// blocks of 256 rows against without: 768x2304 0.985-0.997 against 0.976-0.981, 768x768
// 1.028-1.036 against 1.021-1.023, 768x3072 GELU 1.083-1.087 against 1.060-1.068, 3072x768
// 1.047-1.058 against 1.015-1.033.
constexpr int64_t kRowBlock = 256;

struct Problem {
  const float* input;
  int64_t rows;
  int64_t in_features;
  const float* weights;
  int64_t padded_in_features;
  int64_t out_features;
  const float* bias;
  std::optional<Activation> activation;
  bool accumulate;
};

// What a tile does with its finished sums (bias added).
enum class Epilogue {
  store,          // (+ residual), activation, into output
  gate,           // the first half of a gated product: activated, into the tile's scratch
  gated_product,  // times the scratch's activated gate, into output
};

// One row tile's share of one weight block: which block, which output columns, and which part
// of the next block to prefetch meanwhile.
struct Tile {
  const float* input;  // first row, first k of the block
  const float* block;  // the weight block, depth x 64
  float* output;       // first row, first column of the panel
  int64_t output_stride;
  Epilogue epilogue;
  float* gate;  // Rows x 64 activated gate values, for the gated epilogues
  int64_t depth;
  bool first_block;
  bool last_block;
  const float* bias;  // the panel's 64 columns
  __mmask16 masks[kVectors];
  const char* prefetch_begin;
  const char* prefetch_end;
};

// One tile of Rows x 64 outputs over one weight block. Each block's products are summed from
// zero and then added to what the earlier blocks left in `output` (for the first block: the
// bias, and the residual already in `output`), a two-level sum that keeps the rounding error
// of a 3072-deep dot product near that of oneDNN's kernels. The last block applies the
// activation. Masks keep the last panel inside out_features.
template <int Rows>
ORDO_AVX512 void tile_kernel(const Problem& problem, const Tile& tile) {
  const int64_t in = problem.in_features;
  __m512 sums[Rows][kVectors];
  for (int64_t r = 0; r < Rows; ++r) {
    for (int64_t v = 0; v < kVectors; ++v) sums[r][v] = _mm512_setzero_ps();
  }
  const float* inputs[Rows];
  for (int64_t r = 0; r < Rows; ++r) inputs[r] = tile.input + r * in;
  // Prefetches are spread evenly over the k-steps, so the next block streams in at the rate
  // the arithmetic allows instead of in one burst when its first tile starts. They are issued
  // once per 4 k-steps: checking every step cost 10-15% (branches compete with the FMAs).
  const char* prefetch = tile.prefetch_begin;
  const int64_t prefetch_bytes = tile.prefetch_end - tile.prefetch_begin;
  int64_t k = 0;
  for (; k + 4 <= tile.depth; k += 4) {
    while (prefetch < tile.prefetch_end &&
           (prefetch - tile.prefetch_begin) * tile.depth < (k + 4) * prefetch_bytes) {
      _mm_prefetch(prefetch, _MM_HINT_T1);
      prefetch += kCacheLine;
    }
    avx512::multiply_step(sums, inputs, k, tile.block + k * kPanelColumns);
    avx512::multiply_step(sums, inputs, k + 1, tile.block + (k + 1) * kPanelColumns);
    avx512::multiply_step(sums, inputs, k + 2, tile.block + (k + 2) * kPanelColumns);
    avx512::multiply_step(sums, inputs, k + 3, tile.block + (k + 3) * kPanelColumns);
  }
  for (; k < tile.depth; ++k)
    avx512::multiply_step(sums, inputs, k, tile.block + k * kPanelColumns);
  for (; prefetch < tile.prefetch_end; prefetch += kCacheLine) _mm_prefetch(prefetch, _MM_HINT_T1);
  const bool carry = !tile.first_block || problem.accumulate;
  for (int64_t v = 0; v < kVectors; ++v) {
    const __m512 bias = tile.first_block ? _mm512_maskz_loadu_ps(tile.masks[v], tile.bias + 16 * v)
                                         : _mm512_setzero_ps();
    for (int64_t r = 0; r < Rows; ++r) {
      float* destination = tile.output + r * tile.output_stride + 16 * v;
      __m512 value = _mm512_add_ps(sums[r][v], bias);
      // tile.gate is null outside the gated epilogues: offset it only inside them.
      switch (tile.epilogue) {  // the gated ones run on a single, whole block (run_gated_panel)
        case Epilogue::gate:
          _mm512_store_ps(tile.gate + r * kPanelColumns + 16 * v,
                          activate(value, *problem.activation));
          continue;
        case Epilogue::gated_product:  // as gated_product(): act(gate) * up
          value = _mm512_mul_ps(_mm512_load_ps(tile.gate + r * kPanelColumns + 16 * v), value);
          break;
        case Epilogue::store:
          if (carry) {
            value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(tile.masks[v], destination));
          }
          if (tile.last_block && problem.activation) value = activate(value, *problem.activation);
          break;
      }
      _mm512_mask_storeu_ps(destination, tile.masks[v], value);
    }
  }
}

ORDO_AVX512 void run_tile(int64_t rows, const Problem& problem, const Tile& tile) {
  switch (rows) {
    case 1:
      return tile_kernel<1>(problem, tile);
    case 2:
      return tile_kernel<2>(problem, tile);
    case 3:
      return tile_kernel<3>(problem, tile);
    case 4:
      return tile_kernel<4>(problem, tile);
    case 5:
      return tile_kernel<5>(problem, tile);
    default:
      return tile_kernel<kTileRows>(problem, tile);
  }
}

// One 64-column panel over problem.rows rows. The weights are read in memory order, so "the
// next block" is simply the bytes that follow the current one, up to share_end: the end of the
// panels this thread will take next.
ORDO_AVX512 void run_panel(const Problem& problem, float* output, int64_t panel,
                           const char* share_end) {
  const int64_t panel_floats = problem.padded_in_features * kPanelColumns;
  const int64_t blocks = (problem.in_features + kMaxDepth - 1) / kMaxDepth;
  const int64_t depth = (problem.in_features + blocks - 1) / blocks;  // even blocks
  const int64_t tiles = (problem.rows + kTileRows - 1) / kTileRows;
  Tile tile{};
  tile.output_stride = problem.out_features;
  tile.epilogue = Epilogue::store;
  const int64_t columns = std::min(kPanelColumns, problem.out_features - panel * kPanelColumns);
  for (int64_t v = 0; v < kVectors; ++v) tile.masks[v] = avx512::tail_mask(columns - 16 * v);
  tile.bias = problem.bias + panel * kPanelColumns;
  for (int64_t k0 = 0; k0 < problem.in_features; k0 += depth) {
    tile.depth = std::min(depth, problem.in_features - k0);
    tile.first_block = k0 == 0;
    tile.last_block = k0 + tile.depth == problem.in_features;
    tile.block = problem.weights + panel * panel_floats + k0 * kPanelColumns;
    const char* next = reinterpret_cast<const char*>(tile.block + tile.depth * kPanelColumns);
    const int64_t next_lines = depth * kPanelColumns * 4 / kCacheLine;
    const int64_t lines_per_tile = (next_lines + tiles - 1) / tiles;
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t row = t * kTileRows;
      tile.input = problem.input + row * problem.in_features + k0;
      tile.output = output + row * problem.out_features + panel * kPanelColumns;
      tile.prefetch_begin = std::min(share_end, next + t * lines_per_tile * kCacheLine);
      tile.prefetch_end = std::min(share_end, tile.prefetch_begin + lines_per_tile * kCacheLine);
      run_tile(std::min<int64_t>(kTileRows, problem.rows - row), problem, tile);
    }
  }
}

// Gate panel `panel` and its up panel (out_features / 2 columns later) over problem.rows rows
// (at most kRowBlock), in one depth block: every row tile of the gate panel first, its activated
// values into an L2-resident scratch (64 KiB at most), then every row tile of the up panel,
// whose epilogue multiplies them into `output` (rows x out_features / 2). One panel's weights
// are in use at a time, as in run_panel: alternating gate and up tiles kept both panels and the
// next two in L2 and ran at 82% of peak against 85% (nomic-v1.5 1x128, Zen 5). Meanwhile the
// gate panel prefetches its up panel, and the up panel the next gate panel of this share.
ORDO_AVX512 void run_gated_panel(const Problem& problem, float* output, int64_t panel,
                                 const char* gate_share_end) {
  const int64_t width = problem.out_features / 2;
  const int64_t panel_floats = problem.padded_in_features * kPanelColumns;
  const int64_t tiles = (problem.rows + kTileRows - 1) / kTileRows;
  alignas(64) float scratch[kRowBlock * kPanelColumns];
  Tile tile{};
  tile.depth = problem.in_features;
  tile.first_block = tile.last_block = true;
  for (int64_t v = 0; v < kVectors; ++v) tile.masks[v] = avx512::tail_mask(16);
  const int64_t lines_per_tile = (tile.depth * kPanelColumns * 4 / kCacheLine + tiles - 1) / tiles;
  const float* gate = problem.weights + panel * panel_floats;
  const float* up = gate + width / kPanelColumns * panel_floats;
  auto run_pass = [&](const float* block, const float* bias, Epilogue epilogue, const float* next,
                      const char* next_end) {
    tile.block = block;
    tile.bias = bias;
    tile.epilogue = epilogue;
    tile.output_stride = width;
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t row = t * kTileRows;
      tile.input = problem.input + row * problem.in_features;
      tile.output = output + row * width + panel * kPanelColumns;
      tile.gate = scratch + row * kPanelColumns;
      const char* from = reinterpret_cast<const char*>(next) + t * lines_per_tile * kCacheLine;
      tile.prefetch_begin = std::min(next_end, from);
      tile.prefetch_end = std::min(next_end, from + lines_per_tile * kCacheLine);
      run_tile(std::min<int64_t>(kTileRows, problem.rows - row), problem, tile);
    }
  };
  const char* up_end = reinterpret_cast<const char*>(up + panel_floats);
  run_pass(gate, problem.bias + panel * kPanelColumns, Epilogue::gate, up, up_end);
  run_pass(up, problem.bias + width + panel * kPanelColumns, Epilogue::gated_product,
           gate + panel_floats, gate_share_end);
}

// Runs run(block, output_row, panel, share_end) for every block of up to kRowBlock rows of
// `problem` and every panel in [0, panels): each thread owns a contiguous share of the panels and
// streams its part of the weights, over one block of rows at a time (item = row block * share +
// panel within the share); share_end is where the weights of the thread's share end.
template <typename Run>
void run_panel_shares(const Problem& problem, int64_t panels, int64_t output_width, float* output,
                      const Run& run) {
  if (problem.rows <= 0 || panels == 0) return;
  const int64_t row_blocks = (problem.rows + kRowBlock - 1) / kRowBlock;
  const int64_t panel_floats = problem.padded_in_features * kPanelColumns;
  run_shares(
      [&](int owner, int team) {
        return row_blocks *
               (share_begin(panels, owner + 1, team) - share_begin(panels, owner, team));
      },
      [&](int owner, int team, int64_t item) {
        const int64_t first = share_begin(panels, owner, team);
        const int64_t last = share_begin(panels, owner + 1, team);
        const int64_t row = item / (last - first) * kRowBlock;
        Problem block = problem;
        block.input = problem.input + row * problem.in_features;
        block.rows = std::min(kRowBlock, problem.rows - row);
        run(block, output + row * output_width, first + item % (last - first),
            reinterpret_cast<const char*>(problem.weights + last * panel_floats));
      });
}

}  // namespace

void panel_gemm_gated(const float* input, int64_t rows, int64_t in_features, const float* weights,
                      int64_t padded_in_features, int64_t width, const float* bias,
                      Activation activation, float* output) {
  if (!panel_gemm_gated_fits(in_features, width)) {
    throw Error("internal error: panel_gemm_gated called with in_features " +
                std::to_string(in_features) + ", width " + std::to_string(width));
  }
  const Problem problem{input,     rows, in_features, weights, padded_in_features,
                        2 * width, bias, activation,  false};
  // The shares are of the gate panels; each gate panel's up panel follows at width columns.
  run_panel_shares(problem, width / kPanelColumns, width, output, run_gated_panel);
}

void panel_gemm(const float* input, int64_t rows, int64_t in_features, const float* weights,
                int64_t padded_in_features, int64_t out_features, const float* bias,
                std::optional<Activation> activation, bool accumulate, float* output) {
  const Problem problem{input,        rows, in_features, weights,   padded_in_features,
                        out_features, bias, activation,  accumulate};
  const int64_t panels = (out_features + kPanelColumns - 1) / kPanelColumns;
  run_panel_shares(problem, panels, out_features, output, run_panel);
}

}  // namespace ordo::ops

#else  // !ORDO_X86

namespace ordo::ops {

void panel_gemm(const float*, int64_t, int64_t, const float*, int64_t, int64_t, const float*,
                std::optional<Activation>, bool, float*) {
  throw Error("internal error: ordo's AVX-512 panel kernel called on a build without it");
}

void panel_gemm_gated(const float*, int64_t, int64_t, const float*, int64_t, int64_t, const float*,
                      Activation, float*) {
  throw Error("internal error: ordo's AVX-512 panel kernel called on a build without it");
}

}  // namespace ordo::ops

#endif  // ORDO_X86
