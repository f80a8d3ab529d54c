#include "ops/gated_product.h"

#include <algorithm>
#include <cmath>

#include "ops/cpu.h"
#include "ops/work_shares.h"
#if ORDO_X86
#include "ops/avx2.h"
#include "ops/avx512.h"
#endif

namespace ordo::ops {
namespace {

// Rows per work item: enough to amortise the scheduling, few enough to balance two threads.
constexpr int64_t kRowsPerItem = 8;

// The exact formulas, in double, where neither vector path runs.
float activate_scalar(float x, Activation activation) {
  const double v = x;
  switch (activation) {
    case Activation::gelu:
      return static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
    case Activation::gelu_tanh: {
      const double inner = 0.7978845608028654 * (v + 0.044715 * v * v * v);  // sqrt(2/pi)
      return static_cast<float>(0.5 * v * (1.0 + std::tanh(inner)));
    }
    case Activation::relu:
      return x > 0.0f ? x : 0.0f;
    case Activation::silu:
      return static_cast<float>(v / (1.0 + std::exp(-v)));
  }
  return x;
}

void rows_scalar(const float* gate_up, int64_t first, int64_t last, int64_t width,
                 Activation activation, float* out) {
  for (int64_t r = first; r < last; ++r) {
    const float* gate = gate_up + r * 2 * width;
    const float* up = gate + width;
    float* to = out + r * width;
    for (int64_t i = 0; i < width; ++i) to[i] = activate_scalar(gate[i], activation) * up[i];
  }
}

#if ORDO_X86
ORDO_AVX512 void rows_avx512(const float* gate_up, int64_t first, int64_t last, int64_t width,
                             Activation activation, float* out) {
  for (int64_t r = first; r < last; ++r) {
    const float* gate = gate_up + r * 2 * width;
    const float* up = gate + width;
    float* to = out + r * width;
    for (int64_t i = 0; i < width; i += 16) {
      const __mmask16 mask = avx512::tail_mask(width - i);
      const __m512 g = _mm512_maskz_loadu_ps(mask, gate + i);
      const __m512 u = _mm512_maskz_loadu_ps(mask, up + i);
      _mm512_mask_storeu_ps(to + i, mask, _mm512_mul_ps(avx512::activate(g, activation), u));
    }
  }
}

ORDO_AVX2 void rows_avx2(const float* gate_up, int64_t first, int64_t last, int64_t width,
                         Activation activation, float* out) {
  for (int64_t r = first; r < last; ++r) {
    const float* gate = gate_up + r * 2 * width;
    const float* up = gate + width;
    float* to = out + r * width;
    for (int64_t i = 0; i < width; i += 8) {
      const __m256i mask = avx2::tail_mask(width - i);
      const __m256 g = _mm256_maskload_ps(gate + i, mask);
      const __m256 u = _mm256_maskload_ps(up + i, mask);
      _mm256_maskstore_ps(to + i, mask, _mm256_mul_ps(avx2::activate(g, activation), u));
    }
  }
}
#endif

void product_rows(const CpuDispatch& cpu, const float* gate_up, int64_t first, int64_t last,
                  int64_t width, Activation activation, float* out) {
#if ORDO_X86
  if (cpu.avx512_kernels()) return rows_avx512(gate_up, first, last, width, activation, out);
  if (cpu.avx2_kernels()) return rows_avx2(gate_up, first, last, width, activation, out);
#else
  (void)cpu;
#endif
  rows_scalar(gate_up, first, last, width, activation, out);
}

}  // namespace

void gated_product(const float* gate_up, int64_t rows, int64_t width, Activation activation,
                   float* out) {
  const CpuDispatch& cpu = cpu_dispatch();
  const int64_t items = (rows + kRowsPerItem - 1) / kRowsPerItem;
  run_shares(
      [&](int owner, int team) {
        return share_begin(items, owner + 1, team) - share_begin(items, owner, team);
      },
      [&](int owner, int team, int64_t item) {
        const int64_t first = (share_begin(items, owner, team) + item) * kRowsPerItem;
        const int64_t last = std::min(rows, first + kRowsPerItem);
        product_rows(cpu, gate_up, first, last, width, activation, out);
      });
}

}  // namespace ordo::ops
