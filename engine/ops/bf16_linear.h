#pragma once
// bf16 y = x W^T + b (`--dtype bf16`): the weights are rounded to bfloat16 once at load and
// stored in the layout oneDNN's bf16 brgemm reads; each call rounds its input rows to bf16, and
// oneDNN multiplies them with f32 accumulation into an f32 output, adding the f32 bias, the
// activation and the residual as post-ops. Everything outside the four projections (layer norms,
// softmax, residual stream) stays f32.
// bf16 runs only where the CPU multiplies bf16 natively (AVX512-BF16: Cooper Lake, Zen 4 and
// later; AMX: Sapphire Rapids and later) and ORDO_ISA leaves oneDNN that far: elsewhere oneDNN
// would emulate it slower than f32, so ordo refuses instead (bf16_unavailable_reason()).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ops/dnnl_context.h"
#include "ops/linear.h"

namespace ordo::ops {

// "" when bf16 matmuls run natively here; otherwise why not, for the error message.
std::string bf16_unavailable_reason();

// Round-to-nearest-even f32 -> bf16 of `count` values (NaN stays NaN), as oneDNN's reorder does.
void round_to_bf16(const float* from, int64_t count, uint16_t* to);

class Bf16Weights {
 public:
  // `weight` is [out_features][in_features]; it is not referenced after construction. Throws
  // Error with bf16_unavailable_reason() on a CPU without native bf16.
  Bf16Weights(const float* weight, int64_t in_features, int64_t out_features);

  const void* data() const { return storage_.data(); }
  const dnnl::memory::desc& desc() const { return desc_; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_;
  int64_t out_features_;
  dnnl::memory::desc desc_;
  AlignedBuffer storage_;
};

class Bf16Linear {
 public:
  // Exactly `rows` rows per call (brgemm in oneDNN 2.6 takes no runtime dimensions).
  Bf16Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
             Linear::Output output, const dnnl::memory::desc& weights_desc, int64_t rows);

  // input [rows, in_features] f32, rounded into `rounded_input` (the calling thread's buffer,
  // grown as needed); bias [out_features], output [rows, out_features] f32.
  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad,
                  std::vector<uint16_t>& rounded_input, const float* input, int64_t rows,
                  const Bf16Weights& weights, const float* bias, float* output) const;

 private:
  int64_t in_features_;
  int64_t out_features_;
  int64_t rows_;
  dnnl::memory::desc weights_desc_;
  dnnl::memory::desc scratchpad_desc_;
  dnnl::matmul primitive_;
};

}  // namespace ordo::ops
