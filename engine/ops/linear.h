#pragma once
// y = x W^T + b, optionally followed by an activation, optionally added to what y holds
// (the residual connection, as oneDNN's `sum` post-op).
//
// Two weight layouts. `plain` is PyTorch's [out][in] matrix used where it lies (oneDNN's {K, N}
// in `ba` order): one primitive with a runtime row count serves every call, and the weights are
// never copied. `packed` is the blocked layout oneDNN's brgemm kernels read directly (AVX-512
// CPUs): the weights are reordered once at load (PackedWeights) and a primitive is made per row
// count, because brgemm in oneDNN 2.6 takes no runtime dimensions. On 2 AVX-512 cores (one
// matmul in-process; docs/performance.md) packed runs 16x384x1152 at 251 GFLOP/s against 118
// for plain (gemm:jit packs the weights on every call), and 1024x768x3072 at 292 against 259.
// On packed weights, the shapes panel_gemm_preferred() names (few rows, or wide outputs) run on
// ordo's own kernel instead (ops/panel_gemm.h), which reads the same packed matrix. Where the
// AVX2 kernels run (ops/cpu.h), calls of up to kDotGemmMaxRows rows on plain weights run on
// ops/dot_gemm.h instead of gemm:jit.
#include <optional>

#include "ops/dnnl_context.h"

namespace ordo::ops {

// A weight matrix in the layout the fastest matmul kernel for this CPU reads: packed when
// oneDNN offers brgemm for it, otherwise the caller's plain matrix itself (no copy).
class PackedWeights {
 public:
  // `weight` is [out_features][in_features]; it must outlive this object when the layout stays
  // plain, and may be freed after construction when packed() is true.
  PackedWeights(const float* weight, int64_t in_features, int64_t out_features);

  const float* data() const { return packed() ? packed_.data() : plain_; }
  const dnnl::memory::desc& desc() const { return desc_; }
  bool packed() const { return packed_.data() != nullptr; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_;
  int64_t out_features_;
  dnnl::memory::desc desc_;
  const float* plain_;
  AlignedBuffer packed_;
};

class Linear {
 public:
  enum class Output { overwrite, accumulate };

  // Plain weights, any number of rows per call.
  Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
         Output output);
  // Weights in `weights_desc` (PackedWeights::desc()), exactly `rows` rows per call.
  Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
         Output output, const dnnl::memory::desc& weights_desc, int64_t rows);

  // input [rows, in_features], weight [out_features][in_features] (PyTorch order) or packed,
  // bias [out_features], output [rows, out_features].
  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* input, int64_t rows,
                  const float* weight, const float* bias, float* output) const;
  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* input, int64_t rows,
                  const PackedWeights& weight, const float* bias, float* output) const {
    (*this)(stream, scratchpad, input, rows, weight.data(), bias, output);
  }

  // True when calls run on ordo's panel kernel rather than a oneDNN primitive.
  bool uses_panel_gemm() const { return padded_in_features_ > 0; }
  // True when this op (no activation, overwrite) can run gated(): on the panel kernel, with
  // out_features the [gate | up] halves panel_gemm_gated_fits() takes.
  bool fuses_gated_product() const;
  // A gated feed-forward's first half in one pass: output [rows, out_features / 2] =
  // act(gate) * up of this op's [gate | up] output (ops/gated_product.h), without writing the
  // [gate | up] matrix. Requires fuses_gated_product().
  void gated(const float* input, int64_t rows, const PackedWeights& weight, const float* bias,
             Activation activation, float* output) const;
  // True when calls of `rows` rows run on ordo's AVX2 dot kernel rather than gemm:jit.
  bool uses_dot_gemm(int64_t rows) const;

 private:
  int64_t in_features_;
  int64_t out_features_;
  int64_t fixed_rows_;  // 0: runtime row count
  std::optional<Activation> activation_;
  bool accumulate_;
  int64_t padded_in_features_ = 0;  // > 0: the panel kernel runs this op
  bool dot_kernel_ = false;         // the dot kernel runs the calls it prefers
  dnnl::memory::desc weights_desc_;
  dnnl::memory::desc scratchpad_desc_;
  dnnl::matmul primitive_;
};

}  // namespace ordo::ops
