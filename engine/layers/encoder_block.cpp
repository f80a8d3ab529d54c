#include "layers/encoder_block.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "layers/profile.h"
#include "ops/gated_product.h"

namespace ordo::layers {

EncoderBlock::Projection::Projection(const float* weight, int64_t in, int64_t out,
                                     ComputeType compute)
    : in_features(in), out_features(out) {
  switch (compute) {
    case ComputeType::f32:
      f32.emplace(weight, in, out);
      break;
    case ComputeType::bf16:
      bf16.emplace(weight, in, out);
      break;
    case ComputeType::int8:
      int8.emplace(weight, in, out);
      break;
  }
}

EncoderBlock::EncoderBlock(const LayerWeights& weights, const EncoderSpec& spec,
                           ComputeType compute, const AttentionPosition* positions,
                           ops::Attention::Kernel kernel)
    : weights_(weights),
      hidden_size_(spec.hidden_size),
      num_heads_(spec.num_heads),
      head_dim_(spec.hidden_size / spec.num_heads),
      intermediate_size_(spec.intermediate_size),
      activation_(spec.activation),
      layer_norm_eps_(spec.layer_norm_eps),
      norm_placement_(spec.norm_placement),
      positions_(positions),
      kernel_(kernel),
      gated_(!weights.ffn_gate_weight.empty()),
      qkv_weight_(static_cast<size_t>(3 * hidden_size_ * hidden_size_)),
      qkv_bias_(static_cast<size_t>(3 * hidden_size_)),
      zeros_(static_cast<size_t>(hidden_size_), 0.0f),
      qkv_(fused_qkv(weights, hidden_size_, head_dim_, qkv_weight_, qkv_bias_), hidden_size_,
           3 * hidden_size_, compute),
      output_(weights.attention_output_weight.data, hidden_size_, hidden_size_, compute),
      ffn_input_(ffn_input_matrix(weights, hidden_size_, intermediate_size_, ffn_input_weight_,
                                  ffn_input_bias_),
                 hidden_size_, (gated_ ? 2 : 1) * intermediate_size_, compute),
      ffn_output_(weights.ffn_output_weight.data, intermediate_size_, hidden_size_, compute) {
  // Packed or quantized copies make the stacked plain matrices redundant; a plain layout reads
  // them.
  if (!qkv_.f32 || qkv_.f32->packed()) std::vector<float>().swap(qkv_weight_);
  if (!ffn_input_.f32 || ffn_input_.f32->packed()) std::vector<float>().swap(ffn_input_weight_);
}

const float* EncoderBlock::bias_or_zeros(const TensorView& bias) const {
  return bias.empty() ? zeros_.data() : bias.data;
}

void EncoderBlock::project(ForwardContext& context, const char* name, const Projection& projection,
                           const float* input, const float* bias,
                           std::optional<Activation> activation, ops::Linear::Output output,
                           float* result) const {
  const int64_t rows = context.layout.total_tokens;
  ProfileScope timed(context, name, 2.0 * rows * projection.in_features * projection.out_features);
  Workspace& ws = context.workspace;
  if (projection.int8) {
    const auto op = context.ops.quantized_linear(*projection.int8, activation, output, rows);
    (*op)(context.stream, ws.scratchpad, ws.quantized, input, rows, *projection.int8, bias, result);
  } else if (projection.bf16) {
    const auto op = context.ops.bf16_linear(*projection.bf16, activation, output, rows);
    (*op)(context.stream, ws.scratchpad, ws.bf16_input, input, rows, *projection.bf16, bias,
          result);
  } else {
    const auto op = context.ops.linear(*projection.f32, activation, output, rows);
    (*op)(context.stream, ws.scratchpad, input, rows, *projection.f32, bias, result);
  }
}

const float* EncoderBlock::fused_qkv(const LayerWeights& weights, int64_t h, int64_t head_dim,
                                     std::vector<float>& qkv_weight, std::vector<float>& qkv_bias) {
  const float query_scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const TensorView* parts[3][2] = {{&weights.query_weight, &weights.query_bias},
                                   {&weights.key_weight, &weights.key_bias},
                                   {&weights.value_weight, &weights.value_bias}};
  for (int part = 0; part < 3; ++part) {
    const float scale = part == 0 ? query_scale : 1.0f;
    const float* w = parts[part][0]->data;
    const float* b = parts[part][1]->data;  // null: no bias, zeros
    float* w_out = qkv_weight.data() + part * h * h;
    float* b_out = qkv_bias.data() + part * h;
    for (int64_t i = 0; i < h * h; ++i) w_out[i] = w[i] * scale;
    for (int64_t i = 0; i < h; ++i) b_out[i] = b != nullptr ? b[i] * scale : 0.0f;
  }
  return qkv_weight.data();
}

const float* EncoderBlock::ffn_input_matrix(const LayerWeights& weights, int64_t h, int64_t f,
                                            std::vector<float>& stacked, std::vector<float>& bias) {
  const TensorView& up = weights.ffn_input_weight;
  const TensorView& gate = weights.ffn_gate_weight;
  auto copy_bias = [&](const TensorView& from, int64_t offset) {
    if (!from.empty()) std::copy(from.data, from.data + f, bias.begin() + offset);
  };
  if (gate.empty()) {
    bias.assign(static_cast<size_t>(f), 0.0f);
    copy_bias(weights.ffn_input_bias, 0);
    return up.data;
  }
  // The gate's rows first: the matmul's output row is then [gate | up], as gated_product reads.
  bias.assign(static_cast<size_t>(2 * f), 0.0f);
  copy_bias(weights.ffn_gate_bias, 0);
  copy_bias(weights.ffn_input_bias, f);
  if (gate.data + f * h == up.data) return gate.data;  // JinaBERT's gated_layers: no copy
  stacked.resize(static_cast<size_t>(2 * f * h));
  std::copy(gate.data, gate.data + f * h, stacked.begin());
  std::copy(up.data, up.data + f * h, stacked.begin() + f * h);
  return stacked.data();
}

void EncoderBlock::layer_norm(ForwardContext& context, const float* src, float* dst,
                              const TensorView& gamma, const TensorView& beta) const {
  ProfileScope timed(context, "layer norm");
  const auto norm =
      context.ops.layer_norm(context.layout.total_tokens, hidden_size_, layer_norm_eps_);
  (*norm)(context.stream, context.workspace.scratchpad, src, dst, gamma.data, beta.data);
}

void EncoderBlock::attend(ForwardContext& context, const float* input, Tensor* attentions) const {
  const BatchLayout& layout = context.layout;
  const int64_t tokens = layout.total_tokens;
  Workspace& ws = context.workspace;
  float* qkv = ws.qkv.reserve(static_cast<size_t>(tokens * 3 * hidden_size_));
  float* attended = ws.context.reserve(static_cast<size_t>(tokens * hidden_size_));
  project(context, "qkv projection", qkv_, input, qkv_bias_.data(), std::nullopt,
          ops::Linear::Output::overwrite, qkv);

  for (const BatchLayout::Run& run : layout.runs) {
    float* run_qkv = qkv + run.first_row * 3 * hidden_size_;
    // Rotation tables or a score bias, when position acts inside attention.
    const ops::AttentionPositions positions =
        positions_ != nullptr ? positions_->prepare(context, weights_, run, run_qkv)
                              : ops::AttentionPositions{};
    const float* probabilities = nullptr;
    {
      // QK^T and PV: 2 x count x hidden multiply-adds per (query, key) pair attended to (all
      // length^2, or those within the window under local attention).
      ProfileScope timed(
          context, "attention",
          4.0 * static_cast<double>(run.count) *
              static_cast<double>(ops::attended_pairs(run.length, weights_.attention_window)) *
              static_cast<double>(hidden_size_));
      const auto attention =
          context.ops.attention(run.count, run.length, num_heads_, head_dim_, kernel_,
                                !positions.bias.empty(), weights_.attention_window);
      probabilities =
          (*attention)(context.stream, ws.scratchpad, ws.probabilities, attentions != nullptr,
                       run_qkv, attended + run.first_row * hidden_size_, positions);
    }
    if (attentions != nullptr) export_probabilities(context, run, probabilities, *attentions);
  }
}

void EncoderBlock::export_probabilities(ForwardContext& context, const BatchLayout::Run& run,
                                        const float* probabilities, Tensor& attentions) const {
  context.stream.wait();
  // [count, heads, length, length] -> rows of the padded [batch, heads, longest, longest].
  const int64_t longest = context.layout.longest;
  for (int64_t s = 0; s < run.count; ++s) {
    for (int64_t head = 0; head < num_heads_; ++head) {
      for (int64_t q = 0; q < run.length; ++q) {
        const float* from = probabilities + ((s * num_heads_ + head) * run.length + q) * run.length;
        float* to = attentions.data() +
                    (((run.first_sequence + s) * num_heads_ + head) * longest + q) * longest;
        std::memcpy(to, from, static_cast<size_t>(run.length) * sizeof(float));
      }
    }
  }
}

void EncoderBlock::add_attention(ForwardContext& context, const float* input, float* residual,
                                 Tensor* attentions) const {
  attend(context, input, attentions);
  // The output projection adds onto the residual stream through the matmul's `sum` post-op.
  project(context, "output projection", output_, context.workspace.context.data(),
          bias_or_zeros(weights_.attention_output_bias), std::nullopt,
          ops::Linear::Output::accumulate, residual);
}

bool EncoderBlock::project_gated(ForwardContext& context, const float* input,
                                 float* intermediate) const {
  if (!ffn_input_.f32) return false;
  const int64_t rows = context.layout.total_tokens;
  const auto op =
      context.ops.linear(*ffn_input_.f32, std::nullopt, ops::Linear::Output::overwrite, rows);
  if (!op->fuses_gated_product()) return false;
  ProfileScope timed(context, "ffn gate and up + product",
                     2.0 * rows * hidden_size_ * 2 * intermediate_size_);
  op->gated(input, rows, *ffn_input_.f32, ffn_input_bias_.data(), activation_, intermediate);
  return true;
}

void EncoderBlock::add_feed_forward(ForwardContext& context, const float* input,
                                    float* residual) const {
  const int64_t tokens = context.layout.total_tokens;
  Workspace& ws = context.workspace;
  float* intermediate = ws.intermediate.reserve(static_cast<size_t>(tokens * intermediate_size_));
  if (!gated_) {
    project(context, "ffn input + activation", ffn_input_, input, ffn_input_bias_.data(),
            activation_, ops::Linear::Output::overwrite, intermediate);
  } else if (!project_gated(context, input, intermediate)) {
    float* gate_up = ws.gate_up.reserve(static_cast<size_t>(tokens * 2 * intermediate_size_));
    project(context, "ffn gate and up", ffn_input_, input, ffn_input_bias_.data(), std::nullopt,
            ops::Linear::Output::overwrite, gate_up);
    ProfileScope timed(context, "ffn gated activation");
    context.stream.wait();
    ops::gated_product(gate_up, tokens, intermediate_size_, activation_, intermediate);
  }
  project(context, "ffn output", ffn_output_, intermediate, bias_or_zeros(weights_.ffn_output_bias),
          std::nullopt, ops::Linear::Output::accumulate, residual);
}

// BERT, as in "Attention Is All You Need": x = LN1(x + Attention(x)); x = LN2(x + FFN(x)).
// An absent norm is the identity.
void EncoderBlock::forward_post_norm(ForwardContext& context, float* x, Tensor* attentions) const {
  add_attention(context, x, x, attentions);
  if (!weights_.attention_norm_weight.empty())
    layer_norm(context, x, x, weights_.attention_norm_weight, weights_.attention_norm_bias);
  add_feed_forward(context, x, x);
  if (!weights_.ffn_norm_weight.empty())
    layer_norm(context, x, x, weights_.ffn_norm_weight, weights_.ffn_norm_bias);
}

// x = x + Attention(LN1(x)); x = x + FFN(LN2(x)). An absent norm (ModernBERT's first
// attn_norm) hands x itself to the sublayer: it reads its input (the QKV or FFN input
// projection) before it adds onto the residual x.
void EncoderBlock::forward_pre_norm(ForwardContext& context, float* x, Tensor* attentions) const {
  float* normed = context.workspace.normed.reserve(
      static_cast<size_t>(context.layout.total_tokens * hidden_size_));
  auto norm = [&](const TensorView& weight, const TensorView& bias) -> const float* {
    if (weight.empty()) return x;
    layer_norm(context, x, normed, weight, bias);
    return normed;
  };
  add_attention(context, norm(weights_.attention_norm_weight, weights_.attention_norm_bias), x,
                attentions);
  add_feed_forward(context, norm(weights_.ffn_norm_weight, weights_.ffn_norm_bias), x);
}

void EncoderBlock::forward(ForwardContext& context, float* x, Tensor* attentions) const {
  if (norm_placement_ == NormPlacement::pre) {
    forward_pre_norm(context, x, attentions);
  } else {
    forward_post_norm(context, x, attentions);
  }
}

}  // namespace ordo::layers
