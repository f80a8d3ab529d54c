#include "ops/small_rows_gemm.h"

#include <algorithm>
#include <array>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#define ORDO_AVX512 __attribute__((target("avx512f")))
#endif

namespace ordo::ops {

#if defined(__x86_64__)
namespace {

constexpr int64_t kBlockColumns = 64;  // BA16a64b: each block is [padded_in][64]
constexpr int64_t kLanes = 16;         // floats per AVX-512 register
constexpr int64_t kPanels = kBlockColumns / kLanes;
constexpr int64_t kChunkRows = 64;  // 64 weight rows x 256 B = 16 KiB: stays in L1
// Prefetch one chunk ahead. Measured on 16x768x3072: 32-64 rows ahead 17-19 GB/s, 16 rows
// 15 GB/s, 128 rows 15 GB/s, no prefetch 12 GB/s.
constexpr int64_t kPrefetchRows = 64;

int64_t round_up(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

struct Block {
  const float* weights;  // [padded_in][64]
  int64_t floats_after;  // floats of the whole weight matrix from `weights` on: prefetches stop
  const float* bias;     // bias of the block's first column
  int64_t columns;       // valid columns in this block, 1..64
};

// One 64-column block for R rows. The 64 columns are four 16-lane panels; R rows x 4 panels
// would need 4R accumulators, more than the 32 registers, so each chunk of weight rows is swept
// once per panel with R accumulators, which are parked in `tile` between chunks (4 KiB, L1).
template <int R>
ORDO_AVX512 void block_product(const float* input, int64_t in_features, int64_t padded_in,
                               const Block& block, int64_t out_stride, bool accumulate,
                               float* output) {
  alignas(64) float tile[kPanels][R][kLanes] = {};
  for (int64_t k0 = 0; k0 < padded_in; k0 += kChunkRows) {
    const int64_t k1 = std::min(padded_in, k0 + kChunkRows);
    // Real inputs stop at in_features; the padded weight rows are zero and are skipped.
    const int64_t k_end = std::min(k1, in_features);
    const int64_t next = (k0 + kPrefetchRows) * kBlockColumns;  // float offset of next chunk
    for (int64_t panel = 0; panel < kPanels; ++panel) {
      __m512 acc[R];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) acc[r] = _mm512_load_ps(tile[panel][r]);
      for (int64_t k = k0; k < k_end; ++k) {
        // Each (row, panel) step prefetches one 64-byte line of the next chunk, so the four
        // panel sweeps together fetch all of it.
        const int64_t line = next + ((k - k0) * kPanels + panel) * kLanes;
        if (line < block.floats_after) {
          _mm_prefetch(reinterpret_cast<const char*>(block.weights + line), _MM_HINT_T0);
        }
        const __m512 w = _mm512_load_ps(block.weights + k * kBlockColumns + panel * kLanes);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
          acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(input[r * in_features + k]), w, acc[r]);
        }
      }
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) _mm512_store_ps(tile[panel][r], acc[r]);
    }
  }
  for (int64_t panel = 0; panel < kPanels; ++panel) {
    const int64_t lanes = std::clamp<int64_t>(block.columns - panel * kLanes, 0, kLanes);
    if (lanes == 0) break;
    const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
    const __m512 bias = _mm512_maskz_loadu_ps(mask, block.bias + panel * kLanes);
    for (int r = 0; r < R; ++r) {
      float* y = output + r * out_stride + panel * kLanes;
      __m512 value = _mm512_add_ps(_mm512_load_ps(tile[panel][r]), bias);
      if (accumulate) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, y));
      _mm512_mask_storeu_ps(y, mask, value);
    }
  }
}

using BlockProduct = void (*)(const float*, int64_t, int64_t, const Block&, int64_t, bool, float*);

template <size_t... Rows>
constexpr std::array<BlockProduct, sizeof...(Rows)> block_products(std::index_sequence<Rows...>) {
  return {&block_product<static_cast<int>(Rows) + 1>...};
}

}  // namespace

bool small_rows_gemm_applies(const dnnl::memory::desc& weights, int64_t in_features,
                             int64_t out_features, int64_t rows) {
  if (rows < 1 || rows > kSmallRowsMax || !__builtin_cpu_supports("avx512f")) return false;
  return weights == dnnl::memory::desc({in_features, out_features}, dnnl::memory::data_type::f32,
                                       dnnl::memory::format_tag::BA16a64b);
}

void small_rows_gemm(const float* input, int64_t rows, int64_t in_features, const float* weights,
                     int64_t out_features, const float* bias, bool accumulate, float* output) {
  static constexpr auto kProducts =
      block_products(std::make_index_sequence<static_cast<size_t>(kSmallRowsMax)>());
  const BlockProduct product = kProducts[static_cast<size_t>(rows - 1)];
  const int64_t padded_in = round_up(in_features, kLanes);
  const int64_t blocks = (out_features + kBlockColumns - 1) / kBlockColumns;
  const int64_t floats = blocks * padded_in * kBlockColumns;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t offset = b * padded_in * kBlockColumns;
    const Block block{weights + offset, floats - offset, bias + b * kBlockColumns,
                      std::min(kBlockColumns, out_features - b * kBlockColumns)};
    product(input, in_features, padded_in, block, out_features, accumulate,
            output + b * kBlockColumns);
  }
}

#else  // not x86-64: oneDNN's matmul does all the work

bool small_rows_gemm_applies(const dnnl::memory::desc&, int64_t, int64_t, int64_t) {
  return false;
}

void small_rows_gemm(const float*, int64_t, int64_t, const float*, int64_t, const float*, bool,
                     float*) {}

#endif

}  // namespace ordo::ops
