#pragma once
// Layer normalisation over the last axis of [rows, features] (in place when src == dst).
// oneDNN's layer norm needs fixed dimensions, so one instance exists per row count.
#include <vector>

#include "ops/dnnl_context.h"

namespace ordo::ops {

class LayerNorm {
 public:
  LayerNorm(int64_t rows, int64_t features, float epsilon);

  // src, dst [rows, features]; gamma, beta [features]; beta null: no shift (a bias-free
  // LayerNorm, as ModernBERT's with norm_bias false).
  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* src, float* dst,
                  const float* gamma, const float* beta) const;

 private:
  dnnl::memory::desc data_desc_;
  dnnl::memory::desc parameter_desc_;
  dnnl::memory::desc scratchpad_desc_;
  dnnl::layer_normalization_forward primitive_;
  std::vector<float> zeros_;  // the shift of a bias-free norm
};

}  // namespace ordo::ops
