#pragma once
// y = x W^T + b, optionally followed by an activation, optionally added to what y holds
// (the residual connection, as oneDNN's `sum` post-op). One matmul primitive with a runtime
// number of rows serves every layer of the same shape: weights are execution arguments.
#include <optional>

#include "ops/dnnl_context.h"

namespace ordo::ops {

class Linear {
 public:
  enum class Output { overwrite, accumulate };

  Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
         Output output);

  // input [rows, in_features], weight [out_features][in_features] (PyTorch order),
  // bias [out_features], output [rows, out_features].
  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* input, int64_t rows,
                  const float* weight, const float* bias, float* output) const;

 private:
  int64_t in_features_;
  int64_t out_features_;
  dnnl::memory::desc scratchpad_desc_;
  dnnl::matmul primitive_;
};

}  // namespace ordo::ops
