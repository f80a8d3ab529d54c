#pragma once
// Scaled dot-product attention for `batch` sequences of the same `length`, stored back to
// back in the fused projection buffer qkv [batch * length, 3 * hidden] (Q already scaled by
// 1/sqrt(head_dim) at load), with position applied inside attention when the scheme asks:
//   q, k          = rotate(q, k)                   rotary schemes (ops/attention_positions.h)
//   probabilities = softmax(Q K^T + bias)          [batch, heads, length, length]
//   context       = probabilities V                written as [batch * length, hidden]
// Padding never reaches this op: the encoder groups sequences by length, so no mask is needed
// and no work is spent on padded keys. With a window w > 0 (sliding-window local attention),
// query i attends to keys j with |i - j| <= w only: ordo's kernel never computes the others;
// oneDNN's path takes the queries in bands of max(w, 16) and relates each band to the keys its
// windows reach (at most band + 2w of them), masking in the scores only the band's corners.
// Where attention_kernel_supported(), ordo's own kernel (attention_kernel.h) runs it; elsewhere,
// or when asked for (Kernel::onednn, for tests), three oneDNN primitives on strided views of
// qkv: matmul, softmax, matmul.
#include <utility>
#include <vector>

#include "ops/attention_positions.h"
#include "ops/dnnl_context.h"

namespace ordo::ops {

// The (query, key) pairs of a sequence of `length` tokens that attention relates: length^2, or
// under a window w > 0 those with |i - j| <= w, length (2m + 1) - m (m + 1) with m = min(w,
// length - 1). QK^T and PV cost head_dim multiply-adds per pair and head each.
inline int64_t attended_pairs(int64_t length, int64_t window) {
  if (window <= 0 || window >= length - 1) return length * length;
  return length * (2 * window + 1) - window * (window + 1);
}

class Attention {
 public:
  enum class Kernel { fastest, onednn };

  // score_bias: every call passes a ScoreBias (oneDNN's path then adds it through the scores
  // matmul's `sum` post-op, so the primitive differs). window: 0 (global) or the local reach.
  Attention(int64_t batch, int64_t length, int64_t heads, int64_t head_dim,
            Kernel kernel = Kernel::fastest, bool score_bias = false, int64_t window = 0);

  // Writes the context; returns the probabilities, [batch, heads, length, length] in
  // `probabilities`, when keep_probabilities, else null: ordo's kernel then keeps only the
  // current head's, per thread, in the scratchpad, and never writes the whole tensor to memory.
  // A rotation is applied to the Q and K columns of qkv in place.
  const float* operator()(dnnl::stream& stream, AlignedBuffer& scratchpad,
                          AlignedBuffer& probabilities, bool keep_probabilities, float* qkv,
                          float* context, const AttentionPositions& positions = {}) const;

  int64_t probabilities_size() const { return batch_ * heads_ * length_ * length_; }
  bool uses_own_kernel() const { return own_kernel_; }
  // The (query, key) pairs per sequence and head whose scores oneDNN's path computes: length^2
  // when global; under a window the bands' rows x keys. 0 when ordo's kernel runs.
  int64_t scored_pairs() const;

 private:
  void rotate(float* qkv, const Rotation& rotation) const;
  // Writes the bias (or zeros) and the window's mask into scores [pairs][rows][keys] for queries
  // [first, first + rows) and keys [key_begin, key_begin + keys).
  void fill_scores(float* scores, int64_t first, int64_t rows, int64_t key_begin, int64_t keys,
                   const AttentionPositions& positions) const;
  // Sets the probabilities of keys outside each query's window to exactly 0, after the softmax.
  void clear_outside_window(float* probabilities, int64_t first, int64_t rows, int64_t key_begin,
                            int64_t keys) const;
  // The keys [begin, end) of a band's row that lie in `query`'s window, relative to key_begin.
  std::pair<int64_t, int64_t> window_keys(int64_t query, int64_t key_begin, int64_t keys) const;

  // oneDNN's three primitives for a block of `rows` queries against `keys` keys, on strided views
  // of qkv: the whole sequence when global, one band of queries when local.
  struct Primitives {
    int64_t rows = 0, keys = 0;
    dnnl::memory::desc query, key_transposed, value, scores, context;
    dnnl::memory::desc scores_scratchpad, softmax_scratchpad, weighted_values_scratchpad;
    dnnl::matmul scores_matmul;
    dnnl::softmax_v2_forward softmax;
    dnnl::matmul weighted_values;
  };
  // A band of queries [first, first + rows) and the keys [key_begin, key_begin + keys) its
  // windows reach; `shape` indexes primitives_.
  struct Band {
    int64_t first, rows, key_begin, keys;
    size_t shape;
  };
  Primitives make_primitives(int64_t rows, int64_t keys) const;

  int64_t batch_, length_, heads_, head_dim_;
  bool own_kernel_;
  bool score_bias_;
  int64_t window_;  // 0 when global, or when the window covers the whole sequence
  std::vector<Primitives> primitives_;  // one per distinct band shape; one when global
  std::vector<Band> bands_;             // one band of all queries and keys when global
};

}  // namespace ordo::ops
