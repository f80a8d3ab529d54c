#pragma once
// y = x W + b (or y += x W + b) for at most 16 rows, on weights packed by PackedWeights in
// oneDNN's BA16a64b layout ([out/64][in][64], zero-padded), with AVX-512.
//
// Why a kernel of our own: with 16 rows a projection is bound by reading its weights
// (BERT-base streams 340 MB of f32 per forward). On this 2-core AVX-512 Xeon a plain read
// reaches 24 GB/s on 2 threads, but oneDNN 2.6's brgemm streams the packed weights at only
// ~14 GB/s for 16 rows. This kernel walks each 64-column block in 16 KiB chunks and prefetches
// the next chunk while it computes the current one: 16x768x3072 and 16x3072x768 at ~17-19 GB/s
// against ~14 (tools/bench/README.md). Above 16 rows brgemm is compute-bound and faster.
#include <cstdint>

#include "ops/dnnl_context.h"

namespace ordo::ops {

constexpr int64_t kSmallRowsMax = 16;

// True when small_rows_gemm can run `rows` rows on weights described by `weights`.
bool small_rows_gemm_applies(const dnnl::memory::desc& weights, int64_t in_features,
                             int64_t out_features, int64_t rows);

// input [rows][in_features]; weights as PackedWeights::data() in BA16a64b; bias
// [out_features]; output [rows][out_features], overwritten or (accumulate) added to.
void small_rows_gemm(const float* input, int64_t rows, int64_t in_features, const float* weights,
                     int64_t out_features, const float* bias, bool accumulate, float* output);

}  // namespace ordo::ops
