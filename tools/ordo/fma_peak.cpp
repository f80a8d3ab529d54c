#include "fma_peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "ops/cpu.h"

#if ORDO_X86
#include <immintrin.h>
#endif

namespace ordo::cli {
namespace {

// Independent accumulators hide the FMA latency (4 cycles) on both FMA ports: 16 of AVX-512's 32
// registers; with AVX2's 16 registers, 12 (16 accumulators and the two constants would spill
// to memory, and the loop measured a third of the real peak: 74 GFLOP/s where oneDNN's AVX2
// kernels ran 204 on a 2-core Zen 4). The result is returned so that the compiler cannot drop
// the loop.
constexpr int kChains = 16;
constexpr int kChainsAvx2 = 12;
constexpr int64_t kIterations = 4'000'000;

#if ORDO_X86
__attribute__((target("avx512f"))) float chains_avx512(int64_t iterations, float seed) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(seed + static_cast<float>(c));
  const __m512 scale = _mm512_set1_ps(0.9999999f), shift = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
  for (int c = 1; c < kChains; ++c) acc[0] = _mm512_add_ps(acc[0], acc[c]);
  // Summed by hand: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized in its own header.
  float lanes[16];
  _mm512_storeu_ps(lanes, acc[0]);
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}

__attribute__((target("avx2,fma"))) float chains_avx2(int64_t iterations, float seed) {
  __m256 acc[kChainsAvx2];
  for (int c = 0; c < kChainsAvx2; ++c) acc[c] = _mm256_set1_ps(seed + static_cast<float>(c));
  const __m256 scale = _mm256_set1_ps(0.9999999f), shift = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChainsAvx2; ++c) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
  float lanes[8];
  for (int c = 1; c < kChainsAvx2; ++c) acc[0] = _mm256_add_ps(acc[0], acc[c]);
  _mm256_storeu_ps(lanes, acc[0]);
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}
#endif

float chains_scalar(int64_t iterations, float seed) {
  float acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = seed + static_cast<float>(c);
  for (int64_t i = 0; i < iterations; ++i)
    for (float& value : acc) value = value * 0.9999999f + 1e-7f;
  float sum = 0.0f;
  for (float value : acc) sum += value;
  return sum;
}

}  // namespace

FmaPeak measure_fma_peak() {
  FmaPeak peak;
  int lanes = 1, chains = kChains;
  float (*kernel)(int64_t, float) = chains_scalar;
  // The vector unit of the level that runs (ORDO_ISA caps it): the ceiling of that path.
  peak.isa = "scalar";
#if ORDO_X86
  if (ops::cpu_dispatch().active == ops::Isa::avx512) {
    kernel = chains_avx512, lanes = 16, peak.isa = "avx512f";
  } else if (ops::cpu_dispatch().active == ops::Isa::avx2) {
    kernel = chains_avx2, lanes = 8, chains = kChainsAvx2, peak.isa = "avx2+fma";
  }
#endif
  const int64_t iterations = lanes == 1 ? kIterations / 8 : kIterations;
  float total = 0.0f;
  // Runs of ~12 ms each for at least 0.4 s, keeping the best: the first runs wake the threads,
  // and AVX-512 clocks take tens of milliseconds to settle (on a 2-core AVX-512 Xeon the first
  // runs give 112 and 245 GFLOP/s, the steady state 335-349). Four runs are not enough: with
  // them the peak `ordo bench` reports swings between 160 and 346 from one invocation to the next.
  constexpr double kMinSeconds = 0.4;
  constexpr int kMinRuns = 8;
  const auto first_start = std::chrono::steady_clock::now();
  for (int run = 0;; ++run) {
    int threads = 1;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel
    {
#pragma omp single
      threads = omp_get_num_threads();
      const float result = kernel(iterations, static_cast<float>(omp_get_thread_num()));
#pragma omp critical
      total += result;
    }
    const auto end = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(end - start).count();
    const double flops = 2.0 * lanes * chains * static_cast<double>(iterations) * threads;
    peak.gflops = std::max(peak.gflops, flops / seconds / 1e9);
    peak.threads = threads;
    const double elapsed = std::chrono::duration<double>(end - first_start).count();
    if (run + 1 >= kMinRuns && elapsed >= kMinSeconds) break;
  }
  volatile float sink = total;  // the chains' results are used
  (void)sink;
  return peak;
}

}  // namespace ordo::cli
