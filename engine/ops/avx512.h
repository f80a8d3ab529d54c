#pragma once
// The AVX-512 building blocks ordo's own kernels share (panel_gemm.cpp, attention_kernel.cpp,
// gated_product.cpp).
// Only functions marked ORDO_AVX512 are compiled for AVX-512; the rest of ordo, and whatever
// the standard headers instantiate, stays generic, so a CPU without AVX-512 never meets an
// instruction it lacks. Callers check avx512_supported() first.

#include <algorithm>
#include <cstdint>

#include "core/encoder.h"
#include "ops/x86_intrinsics.h"

#define ORDO_AVX512 __attribute__((target("avx512f,fma")))

namespace ordo::ops::avx512 {

// The step of the kernels' software prefetches.
constexpr int64_t kCacheLine = 64;

// e^x to about 1 ulp: x = n ln2 + r with |r| <= ln2/2, a degree-6 Taylor polynomial for e^r
// (truncation error < 1.3e-7 relative), then 2^n by scalef. Clamped so that it neither
// overflows to inf nor underflows to a denormal.
ORDO_AVX512 inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), x);  // ln2 split in two parts
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);       // so that r stays exact
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

// x / (1 + e^-y): SiLU when y = x, and GELU's tanh form when y = 2 sqrt(2/pi) (x + 0.044715 x^3),
// since 0.5 x (1 + tanh(y/2)) = x / (1 + e^-y), which has no cancellation near zero.
ORDO_AVX512 inline __m512 x_sigmoid_ps(__m512 x, __m512 y) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(x, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), y))));
}

// 0.5 x (1 + erf(x / sqrt 2)), erf by Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7,
// below float's own rounding of GELU's inputs here; the tests check it against std::erf).
ORDO_AVX512 inline __m512 gelu_erf_ps(__m512 x) {
  const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.707106781f));
  const __m512 a = _mm512_abs_ps(z);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(a, _mm512_set1_ps(0.3275911f), one));
  __m512 p = _mm512_set1_ps(1.061405429f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
  p = _mm512_mul_ps(p, t);
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(a, a)));
  __m512 erf = _mm512_fnmadd_ps(p, e, one);  // erf(|z|)
  const __mmask16 negative = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
  erf = _mm512_mask_sub_ps(erf, negative, _mm512_setzero_ps(), erf);  // erf(-z) = -erf(z)
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, erf));
}

ORDO_AVX512 inline __m512 activate(__m512 x, Activation activation) {
  switch (activation) {
    case Activation::gelu:
      return gelu_erf_ps(x);
    case Activation::gelu_tanh: {
      const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
      const __m512 inner = _mm512_fmadd_ps(cube, _mm512_set1_ps(0.044715f), x);
      return x_sigmoid_ps(x, _mm512_mul_ps(inner, _mm512_set1_ps(1.59576912f)));  // 2 sqrt(2/pi)
    }
    case Activation::relu:
      return _mm512_max_ps(x, _mm512_setzero_ps());
    case Activation::silu:
      return x_sigmoid_ps(x, x);
  }
  return x;
}

// The lanes of a 16-float vector that hold `valid` elements (clamped to 0..16): for the
// partial last vector of a row.
inline __mmask16 tail_mask(int64_t valid) {
  return static_cast<__mmask16>((1u << std::clamp<int64_t>(valid, 0, 16)) - 1u);
}

// One k-step of a register tile: sums[r][:] += inputs[r][k] * b_row[0 .. 16 Vectors), for every
// row r of the tile. b_row is row k of the right-hand matrix; 64-byte aligned is fastest.
template <int Rows, int Vectors>
ORDO_AVX512 __attribute__((always_inline)) inline void multiply_step(
    __m512 (&sums)[Rows][Vectors], const float* const (&inputs)[Rows], int64_t k,
    const float* b_row) {
  __m512 b[Vectors];
  for (int64_t v = 0; v < Vectors; ++v) b[v] = _mm512_loadu_ps(b_row + 16 * v);
  for (int64_t r = 0; r < Rows; ++r) {
    const __m512 x = _mm512_set1_ps(inputs[r][k]);
    for (int64_t v = 0; v < Vectors; ++v) sums[r][v] = _mm512_fmadd_ps(x, b[v], sums[r][v]);
  }
}

}  // namespace ordo::ops::avx512
