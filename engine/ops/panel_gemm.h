#pragma once
// ordo's own f32 matmul on the weights PackedWeights packed for oneDNN's brgemm (BA16a64b), so
// no second copy.
// Why: at few rows a matmul is bound by reading its weights, and in a forward pass every weight
// matrix arrives cold from memory. Each 64-column panel of the weights is read once and reused
// by every row, so this kernel prefetches the next block of weights into L2, spread evenly over
// the work on the current block, and its loads do not wait. End to end, against a build with
// the kernel off, in alternating rounds of `ordo bench --batch 1 --seq 16` (or `--seq 128`) on
// 2 AVX-512 cores: BERT-base 1x16 1.25x, 1x128 1.06x, MiniLM 1x128 1.00x.
// At more rows (1,024; in-process, cold weights, interleaved with brgemm on 2 threads, the table
// in docs/performance.md) it ties or wins where the output has at least 768 columns: 768x2304
// 0.97-1.04x brgemm's speed, 768x768 0.99-1.04x, 768x3072 with GELU 1.05-1.10x (oneDNN 2.6's
// GELU post-op costs more than this kernel's), 3072x768 1.00-1.06x, MiniLM's 384x1152
// 0.99-1.03x and 384x1536 with GELU 1.05-1.07x. On narrower outputs it loses (384x384
// 0.93-0.94x, 1536x384 0.97-1.00x), so panel_gemm_preferred() leaves those to brgemm.
#include <cstdint>
#include <optional>

#include "core/encoder.h"

namespace ordo::ops {

// Up to this many rows the panel kernel runs every shape; beyond it, only outputs at least
// kPanelGemmMinWideColumns wide.
constexpr int64_t kPanelGemmMaxRows = 128;
constexpr int64_t kPanelGemmMinWideColumns = 768;
constexpr int64_t kPanelColumns = 64;     // the 64b of BA16a64b
constexpr int64_t kPanelDepthBlock = 16;  // the 16a: in_features is padded to a multiple of it
// The kernel sums at most this many k-steps of a panel at a time (one block of weights in L2).
constexpr int64_t kPanelMaxDepth = 768;

// True when ordo's AVX-512 kernels run (cpu_dispatch(): the CPU has AVX-512F, the kernel's only
// requirement, and ORDO_ISA does not cap it); panel_gemm must not be called otherwise.
bool panel_gemm_supported();

// Whether the panel kernel is the faster one for this shape (measured against brgemm, see the
// top of this file); the CPU check is panel_gemm_supported()'s.
constexpr bool panel_gemm_preferred(int64_t rows, int64_t out_features) {
  return rows > 0 && (rows <= kPanelGemmMaxRows || out_features >= kPanelGemmMinWideColumns);
}

// output[rows][out] = act(input[rows][in] W + bias (+ output[rows][out] when accumulate)), the
// order of oneDNN's sum-then-eltwise post-ops. `weights` is the {in, out} matrix in BA16a64b:
// for every 64 output columns a panel of padded_in x 64 floats, in and out zero-padded to
// multiples of 16 and 64; in_features >= 1. Runs on OpenMP's threads, one contiguous share of
// the panels each and the leftovers shared (run_shares in ops/work_shares.h), any number of rows.
void panel_gemm(const float* input, int64_t rows, int64_t in_features, const float* weights,
                int64_t padded_in_features, int64_t out_features, const float* bias,
                std::optional<Activation> activation, bool accumulate, float* output);

// Whether panel_gemm_gated takes a gated feed-forward's first matmul: gate and up each whole
// panels, and in_features within one block (every base-size encoder: 768; larger hidden sizes
// run the matmul and gated_product() apart).
constexpr bool panel_gemm_gated_fits(int64_t in_features, int64_t width) {
  return in_features > 0 && in_features <= kPanelMaxDepth && width > 0 &&
         width % kPanelColumns == 0;
}

// The first half of a gated feed-forward in one pass (ops/gated_product.h):
//   output[r, i] = act(x W_gate + b_gate)[r, i] * (x W_up + b_up)[r, i]
// `weights` is the {in, 2 * width} matrix of panel_gemm (gate columns first, then up), `bias`
// [2 * width] likewise, output [rows, width]. The same arithmetic as panel_gemm followed by
// gated_product(), so the same bits, without writing and reading back the [rows, 2 * width]
// intermediate. Requires panel_gemm_gated_fits(in_features, width).
void panel_gemm_gated(const float* input, int64_t rows, int64_t in_features, const float* weights,
                      int64_t padded_in_features, int64_t width, const float* bias,
                      Activation activation, float* output);

}  // namespace ordo::ops
