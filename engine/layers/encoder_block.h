#pragma once
// One Transformer encoder block (post-LN as in BERT, pre-LN as an option):
//   post-LN: x = LN1(x + Attention(x));      x = LN2(x + FFN(x))
//   pre-LN:  x = x + Attention(LN1(x));      x = x + FFN(LN2(x))
// where Attention(x) = softmax(q k^T / sqrt(d_head) + bias) v Wo + bo per head, with q, k, v
// from one fused projection, q and k rotated and the bias given by the positional scheme when
// it acts inside attention, and FFN(x) = act(x W1 + b1) W2 + b2, or for a gated FFN
// (act(x Wg + bg) * (x W1 + b1)) W2 + b2 with Wg and W1 stacked into one matmul.
#include <optional>
#include <vector>

#include "layers/attention_position.h"
#include "layers/batch.h"

namespace ordo::layers {

class EncoderBlock {
 public:
  // compute: the number type of the four projections (EncoderOptions::compute). `positions`: the
  // scheme inside attention, or null; it outlives the block.
  EncoderBlock(const LayerWeights& weights, const EncoderSpec& spec, ComputeType compute,
               const AttentionPosition* positions, ops::Attention::Kernel kernel);

  // Updates the packed hidden states x [tokens, hidden] in place. When `attentions` is not
  // null it receives this layer's probabilities as [batch, heads, longest, longest].
  void forward(ForwardContext& context, float* x, Tensor* attentions) const;

 private:
  // One weight matrix of the block, in the form its matmul reads: packed f32, bf16 or int8.
  struct Projection {
    Projection(const float* weight, int64_t in, int64_t out, ComputeType compute);
    int64_t in_features, out_features;
    std::optional<ops::PackedWeights> f32;
    std::optional<ops::Bf16Weights> bf16;
    std::optional<ops::QuantizedWeights> int8;
  };
  void forward_post_norm(ForwardContext& context, float* x, Tensor* attentions) const;
  void forward_pre_norm(ForwardContext& context, float* x, Tensor* attentions) const;
  // residual += Attention(input) Wo + bo, the sublayer and its residual add.
  void add_attention(ForwardContext& context, const float* input, float* residual,
                     Tensor* attentions) const;
  // residual += act(input W1 + b1) W2 + b2, or its gated form.
  void add_feed_forward(ForwardContext& context, const float* input, float* residual) const;
  // A gated FFN's [gate | up] matmul with the product in its epilogue (f32 on the panel
  // kernel); false, with nothing done, where that does not run.
  bool project_gated(ForwardContext& context, const float* input, float* intermediate) const;
  // The per-head attention of `input` into workspace.context, through the fused projection.
  void attend(ForwardContext& context, const float* input, Tensor* attentions) const;
  // One run's probabilities into the caller's padded [batch, heads, longest, longest].
  void export_probabilities(ForwardContext& context, const BatchLayout::Run& run,
                            const float* probabilities, Tensor& attentions) const;
  // result (+)= input W^T + bias [then act], timed as `name` when profiling.
  void project(ForwardContext& context, const char* name, const Projection& projection,
               const float* input, const float* bias, std::optional<Activation> activation,
               ops::Linear::Output output, float* result) const;
  // Fills the stacked [3 * h, h] matrix and bias, 1/sqrt(head_dim) folded into Q; returns it.
  static const float* fused_qkv(const LayerWeights& weights, int64_t h, int64_t head_dim,
                                std::vector<float>& qkv_weight, std::vector<float>& qkv_bias);
  // The FFN's first matrix as its matmul reads it: W1, or [Wg; W1] for a gated FFN (the
  // checkpoint's own memory when the two already lie in that order, else stacked into
  // `stacked`); its bias (zeros where the checkpoint has none) into `bias`.
  static const float* ffn_input_matrix(const LayerWeights& weights, int64_t h, int64_t f,
                                       std::vector<float>& stacked, std::vector<float>& bias);
  // The bias, or zeros for a checkpoint without one.
  const float* bias_or_zeros(const TensorView& bias) const;
  void layer_norm(ForwardContext& context, const float* src, float* dst, const TensorView& gamma,
                  const TensorView& beta) const;

  LayerWeights weights_;
  int64_t hidden_size_, num_heads_, head_dim_, intermediate_size_;
  Activation activation_;
  float layer_norm_eps_;
  NormPlacement norm_placement_;
  const AttentionPosition* positions_;
  ops::Attention::Kernel kernel_;
  bool gated_;  // a gated FFN
  // Q, K and V projections stacked as one [3 * hidden, hidden] matrix, with 1/sqrt(d_head)
  // folded into the Q rows and bias: one matmul instead of three, and no scaling pass.
  std::vector<float> qkv_weight_;
  std::vector<float> qkv_bias_;
  std::vector<float> ffn_input_weight_;  // [Wg; W1] when they are not adjacent in the file
  std::vector<float> ffn_input_bias_;    // [f] or [bg; b1] of [2 f]
  std::vector<float> zeros_;             // the bias of projections without one
  // The four matrices in the layout the matmul kernels read (ops/linear.h,
  // ops/quantized_linear.h).
  Projection qkv_, output_, ffn_input_, ffn_output_;
};

}  // namespace ordo::layers
