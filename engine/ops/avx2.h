#pragma once
// The AVX2 building blocks of ordo's kernels for CPUs without AVX-512 (dot_gemm.cpp,
// gated_product.cpp): the same arithmetic as ops/avx512.h on 8-float vectors. Only functions
// marked ORDO_AVX2 are compiled for AVX2 + FMA, so the rest of ordo stays generic. Callers check
// cpu_dispatch() first.

#include <algorithm>
#include <cstdint>

#include "core/encoder.h"
#include "ops/x86_intrinsics.h"

#define ORDO_AVX2 __attribute__((target("avx2,fma")))

namespace ordo::ops::avx2 {

// e^x as avx512::exp_ps computes it (x = n ln2 + r, degree-6 polynomial for e^r, clamped so
// that 2^n stays a normal float); AVX2 has no scalef, so 2^n is built in the exponent bits.
ORDO_AVX2 inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  // n is in [-126, 127]: (n + 127) << 23 is the bit pattern of 2^n.
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

// x / (1 + e^-y): SiLU when y = x, GELU's tanh form for y = 2 sqrt(2/pi) (x + 0.044715 x^3).
ORDO_AVX2 inline __m256 x_sigmoid_ps(__m256 x, __m256 y) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(x, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), y))));
}

// 0.5 x (1 + erf(x / sqrt 2)), erf by Abramowitz & Stegun 7.1.26, as avx512::gelu_erf_ps.
ORDO_AVX2 inline __m256 gelu_erf_ps(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.707106781f));
  const __m256 a = _mm256_andnot_ps(sign, z);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(a, _mm256_set1_ps(0.3275911f), one));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
  const __m256 erf_abs = _mm256_fnmadd_ps(p, e, one);
  const __m256 erf = _mm256_or_ps(erf_abs, _mm256_and_ps(sign, z));  // erf(-z) = -erf(z)
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, erf));
}

ORDO_AVX2 inline __m256 activate(__m256 x, Activation activation) {
  switch (activation) {
    case Activation::gelu:
      return gelu_erf_ps(x);
    case Activation::gelu_tanh: {
      const __m256 cube = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      const __m256 inner = _mm256_fmadd_ps(cube, _mm256_set1_ps(0.044715f), x);
      return x_sigmoid_ps(x, _mm256_mul_ps(inner, _mm256_set1_ps(1.59576912f)));
    }
    case Activation::relu:
      return _mm256_max_ps(x, _mm256_setzero_ps());
    case Activation::silu:
      return x_sigmoid_ps(x, x);
  }
  return x;
}

// The lanes of an 8-float vector that hold `valid` elements (clamped to 0..8), as the sign bits
// _mm256_maskload_ps and _mm256_maskstore_ps read.
ORDO_AVX2 inline __m256i tail_mask(int64_t valid) {
  const int lanes = static_cast<int>(std::clamp<int64_t>(valid, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The sums of four vectors' lanes, as the four lanes of one: [sum a, sum b, sum c, sum d].
ORDO_AVX2 inline __m128 sum_lanes(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

}  // namespace ordo::ops::avx2
