#pragma once
// int8 y = x W^T + b (`--dtype int8`).
//
// Weights: symmetric s8 per output channel, scale max|w_o| / 127, quantised once at load and
// stored in the layout oneDNN's u8 x s8 matmul reads directly.
// Activations: per token (row) at every call, q = round(x / s) + z in u8, with s = max|x_row|
// / 127 and z = 128 on CPUs with VNNI. Without VNNI, oneDNN multiplies u8 x s8 pairs into
// saturating s16 sums (2 x 255 x 127 > 32767) and large activations come out wrong; there ordo
// uses 7-bit activations, s = max|x_row| / 63 and z = 64, so that every pair fits
// (2 x 127 x 127 <= 32767).
// oneDNN computes the s32 sums of (q - z) w_q (brgemm on AVX-512 VNNI CPUs: about 1300 GOPS on
// 2 threads at 1024x768x3072, against about 290 GFLOP/s in f32; docs/performance.md, int8);
// the per-row and per-column scales, the bias and the residual are applied by one pass of ours,
// and the activation by an eltwise primitive: oneDNN 2.6 has no per-row scale, and a per-row
// binary post-op falls back to its reference kernel (about 0.1 GOPS at the same shape).
#include <cstdint>
#include <optional>
#include <vector>

#include "ops/dnnl_context.h"
#include "ops/linear.h"

namespace ordo::ops {

// True when u8 x s8 products accumulate without s16 saturation (VNNI).
bool int8_has_vnni();

class QuantizedWeights {
 public:
  // `weight` is [out_features][in_features]; it is not referenced after construction.
  QuantizedWeights(const float* weight, int64_t in_features, int64_t out_features);

  const void* data() const { return storage_.data(); }
  const dnnl::memory::desc& desc() const { return desc_; }
  const float* scales() const { return scales_.data(); }  // per output channel
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_;
  int64_t out_features_;
  dnnl::memory::desc desc_;
  AlignedBuffer storage_;
  std::vector<float> scales_;
};

// The per-call buffers of a quantized linear op; they belong to the calling thread.
// They grow to the largest call and keep their capacity, so steady calls allocate nothing.
struct QuantizedBuffers {
  std::vector<uint8_t> input;         // [rows, in]
  std::vector<float> row_scales;      // [rows]
  std::vector<int32_t> accumulators;  // [rows, out]
};

class QuantizedLinear {
 public:
  QuantizedLinear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
                  Linear::Output output, const dnnl::memory::desc& weights_desc, int64_t rows);

  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, QuantizedBuffers& buffers,
                  const float* input, int64_t rows, const QuantizedWeights& weights,
                  const float* bias, float* output) const;

 private:
  int64_t in_features_;
  int64_t out_features_;
  int64_t rows_;
  Linear::Output output_;
  int32_t zero_point_;
  float levels_;  // the largest |q - z|
  dnnl::memory::desc scratchpad_desc_;
  dnnl::matmul primitive_;
  std::optional<dnnl::eltwise_forward> activation_;
  dnnl::memory::desc activation_scratchpad_desc_;
};

}  // namespace ordo::ops
