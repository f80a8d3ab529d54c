#pragma once
// ordo's own f32 matmul for short inputs (at most kPanelGemmMaxRows rows: a sentence or a few),
// on the weights PackedWeights packed for oneDNN's brgemm (BA16a64b), so no second copy.
// Why: at few rows a matmul is bound by reading its weights, and in a forward pass every weight
// matrix arrives cold from memory. Each 64-column panel of the weights is read once and reused
// by every row, so this kernel prefetches the next block of weights into L2, spread evenly over
// the work on the current block, and its loads do not wait. Measured on this 2-core AVX-512
// Xeon (2026-11-30), end to end against the same binary with the kernel off, paired rounds:
// BERT-base 1x16 1.25x, 1x128 1.06x (twice), MiniLM 1x128 1.00x, BERT-base 2x128 (256 rows)
// 0.995x. From 256 rows on each weight block feeds enough rows to hide the cold read, and
// brgemm keeps those shapes.
#include <cstdint>
#include <optional>

#include "ordo/encoder.h"

namespace ordo::ops {

constexpr int64_t kPanelGemmMaxRows = 128;
constexpr int64_t kPanelColumns = 64;     // the 64b of BA16a64b
constexpr int64_t kPanelDepthBlock = 16;  // the 16a: in_features is padded to a multiple of it

// True when the CPU runs AVX-512F (the kernel's only requirement); panel_gemm must not be
// called otherwise.
bool panel_gemm_supported();

// output[rows][out] = act(input[rows][in] W + bias (+ output[rows][out] when accumulate)), the
// order of oneDNN's sum-then-eltwise post-ops. `weights` is the {in, out} matrix in BA16a64b:
// for every 64 output columns a panel of padded_in x 64 floats, in and out zero-padded to
// multiples of 16 and 64; in_features >= 1. Runs on OpenMP's threads, one share of the panels
// each.
void panel_gemm(const float* input, int64_t rows, int64_t in_features, const float* weights,
                int64_t padded_in_features, int64_t out_features, const float* bias,
                std::optional<Activation> activation, bool accumulate, float* output);

}  // namespace ordo::ops
