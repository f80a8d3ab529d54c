#pragma once
// The content term of Shaw-style relative keys: the dot product of every query (or key) of a run
// with the learned vector r(d) of every distance d in a window, as one batched matmul on strided
// views of the fused projection qkv [batch * length, 3 * hidden]:
//   out[sequence, head, token, m] = x[sequence, token, head] . window[m]
// with window [2 length - 1, head_dim] broadcast over sequences and heads.
#include "ops/dnnl_context.h"

namespace ordo::ops {

class DistanceScores {
 public:
  DistanceScores(int64_t batch, int64_t length, int64_t heads, int64_t head_dim);

  // rows: head 0 of token 0 of the Q (or K) columns of qkv; out [batch, heads, length, window].
  void operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* rows,
                  const float* window, float* out) const;
  int64_t window() const { return 2 * length_ - 1; }
  int64_t out_size() const { return batch_ * heads_ * length_ * window(); }

 private:
  int64_t batch_, length_, heads_;
  dnnl::memory::desc rows_desc_, window_desc_, out_desc_, scratchpad_desc_;
  dnnl::matmul primitive_;
};

}  // namespace ordo::ops
