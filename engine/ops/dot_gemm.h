#pragma once
// ordo's own f32 matmul for CPUs whose best level is AVX2 (or ORDO_ISA=avx2), on the plain
// PyTorch [out][in] weights oneDNN's gemm:jit reads there, so nothing is packed or copied.
// Why: gemm:jit packs its operands on every call, which at few rows costs as much as the
// arithmetic (BERT-base at 1x16 ran at 43% of the FMA peak under AVX2 against 80% on AVX-512's
// panel kernel). Here every output is a dot product of an input row and a weight row, both
// contiguous: a tile of 3 rows x 4 outputs keeps 12 sums in registers and reads 7 vectors per
// 12 FMAs, and each thread streams its own contiguous share of the weight rows once, prefetching
// the next group of rows while it works on the current one.
// In-process on 2 Zen 4 cores under ORDO_ISA=avx2 (12 cold copies of the weights, interleaved
// with gemm:jit, median ratio to it), BERT-base and MiniLM shapes (in x out): at 1 row
// 1.10-1.76x, 8 rows 1.03-1.66x, 32 rows 0.94-1.19x (384x384 the loss), 48 rows 0.95-1.15x,
// 64 rows 0.73-1.14x (the deep 3072x768 and 1536x384 lose: the input rows are read again for
// every 4 outputs). So it runs up to 32 rows. panel_gemm.h is the AVX-512 counterpart.
#include <cstdint>
#include <optional>

#include "core/encoder.h"
#include "ops/dnnl_context.h"

namespace ordo::ops {

// Up to this many rows the dot kernel runs; beyond, gemm:jit (measured above).
constexpr int64_t kDotGemmMaxRows = 32;

// True when ordo's AVX2 kernels run: the level in use (cpu_dispatch()) is exactly AVX2, i.e. the
// CPU has AVX2 and FMA but no AVX-512F, or ORDO_ISA=avx2 caps it there. dot_gemm must not be
// called otherwise.
bool dot_gemm_supported();

constexpr bool dot_gemm_preferred(int64_t rows) {
  return rows > 0 && rows <= kDotGemmMaxRows;
}

// output[rows][out] = act(input[rows][in] weight^T + bias (+ output when accumulate)), the order
// of oneDNN's sum-then-eltwise post-ops; weight is [out][in] (PyTorch's order), bias may be
// null. `scratch` may receive a copy of the input. Runs on OpenMP's threads, one contiguous
// share of the outputs each (ops/work_shares.h).
void dot_gemm(const float* input, int64_t rows, int64_t in_features, const float* weight,
              int64_t out_features, const float* bias, std::optional<Activation> activation,
              bool accumulate, AlignedBuffer& scratch, float* output);

}  // namespace ordo::ops
