#include "ops/attention.h"

#include <algorithm>
#include <limits>
#include <string>

#include "ops/attention_kernel.h"
#include "ordo/error.h"

namespace ordo::ops {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

Attention::Attention(int64_t batch, int64_t length, int64_t heads, int64_t head_dim, Kernel kernel,
                     bool score_bias, int64_t window)
    : batch_(batch),
      length_(length),
      heads_(heads),
      head_dim_(head_dim),
      own_kernel_(kernel == Kernel::fastest && attention_kernel_supported(head_dim)),
      score_bias_(score_bias),
      window_(window < length - 1 ? window : 0) {
  if (window < 0)
    throw Error("attention window must be 0 or positive, got " + std::to_string(window));
  if (own_kernel_) return;  // no primitives needed
  const int64_t hidden = heads * head_dim;
  const int64_t row = 3 * hidden;  // leading dimension of qkv
  const int64_t sequence = length * row;
  // Views over qkv as {batch, head, token, dim}: head h of Q starts at column h * head_dim.
  // cppcheck-suppress useInitializationList ; the descriptors are built from the locals above
  query_desc_ =
      dnnl::memory::desc({batch, heads, length, head_dim}, dt::f32, {sequence, head_dim, row, 1});
  key_transposed_desc_ =
      dnnl::memory::desc({batch, heads, head_dim, length}, dt::f32, {sequence, head_dim, 1, row});
  value_desc_ = query_desc_;
  scores_desc_ = dnnl::memory::desc({batch, heads, length, length}, dt::f32, tag::abcd);
  // {batch, head, token, dim} stored token-major: exactly the [batch * length, hidden] rows
  // that the output projection reads.
  context_desc_ = dnnl::memory::desc({batch, heads, length, head_dim}, dt::f32,
                                     {length * hidden, head_dim, hidden, 1});

  const auto& engine = cpu_engine();
  const auto attr = user_scratchpad_attr();
  // A bias or a window's mask is written into the scores first; the matmul then adds Q K^T.
  auto scores_attr = user_scratchpad_attr();
  if (score_bias || window_ > 0) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    scores_attr.set_post_ops(sum);
  }
  const dnnl::matmul::primitive_desc scores_pd(
      dnnl::matmul::desc(query_desc_, key_transposed_desc_, scores_desc_), scores_attr, engine);
  const dnnl::softmax_v2_forward::primitive_desc softmax_pd(
      dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::softmax_accurate, scores_desc_, scores_desc_,
                                     3),
      attr, engine);
  const dnnl::matmul::primitive_desc weighted_values_pd(
      dnnl::matmul::desc(scores_desc_, value_desc_, context_desc_), attr, engine);
  scores_scratchpad_ = scores_pd.scratchpad_desc();
  softmax_scratchpad_ = softmax_pd.scratchpad_desc();
  weighted_values_scratchpad_ = weighted_values_pd.scratchpad_desc();
  scores_ = dnnl::matmul(scores_pd);
  softmax_ = dnnl::softmax_v2_forward(softmax_pd);
  weighted_values_ = dnnl::matmul(weighted_values_pd);
}

void Attention::rotate(float* qkv, const Rotation& rotation) const {
  const int64_t hidden = heads_ * head_dim_;
  const int64_t pairs = batch_ * heads_;
#pragma omp parallel for schedule(static)
  for (int64_t pair = 0; pair < pairs; ++pair) {
    float* query = qkv + pair / heads_ * length_ * 3 * hidden + pair % heads_ * head_dim_;
    rotate_rows(query, 3 * hidden, length_, rotation);
    rotate_rows(query + hidden, 3 * hidden, length_, rotation);
  }
}

const float* Attention::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad,
                                   AlignedBuffer& probabilities, bool keep_probabilities,
                                   float* qkv, float* context,
                                   const AttentionPositions& positions) const {
  if (score_bias_ == positions.bias.empty()) {
    throw Error(std::string("attention op made ") + (score_bias_ ? "with" : "without") +
                " a score bias was called " + (score_bias_ ? "without" : "with") + " one");
  }
  if (own_kernel_) {
    float* kept = keep_probabilities
                      ? probabilities.reserve(static_cast<size_t>(probabilities_size()))
                      : nullptr;
    attention_kernel(qkv, batch_, length_, heads_, head_dim_, positions, window_, scratchpad, kept,
                     context);
    return kept;
  }
  if (!positions.rotation.empty()) rotate(qkv, positions.rotation);
  float* all_probabilities = probabilities.reserve(static_cast<size_t>(probabilities_size()));
  if (score_bias_ || window_ > 0) {
    // Keys outside the window get the lowest float, as Hugging Face's masks do: e^(score -
    // maximum) is then 0, with no infinity in the arithmetic.
    constexpr float kMasked = std::numeric_limits<float>::lowest();
#pragma omp parallel for schedule(static)
    for (int64_t pair = 0; pair < batch_ * heads_; ++pair) {
      for (int64_t query = 0; query < length_; ++query) {
        float* row = all_probabilities + (pair * length_ + query) * length_;
        if (score_bias_) {
          std::copy_n(positions.bias.row(pair / heads_, pair % heads_, query), length_, row);
        } else {
          std::fill_n(row, length_, 0.0f);
        }
        if (window_ == 0) continue;
        std::fill(row, row + std::max<int64_t>(0, query - window_), kMasked);
        std::fill(row + std::min(length_, query + window_ + 1), row + length_, kMasked);
      }
    }
  }
  const auto& engine = cpu_engine();
  const int64_t hidden = heads_ * head_dim_;
  dnnl::memory query(query_desc_, engine, input_handle(qkv));
  dnnl::memory key_transposed(key_transposed_desc_, engine, input_handle(qkv + hidden));
  dnnl::memory value(value_desc_, engine, input_handle(qkv + 2 * hidden));
  dnnl::memory scores(scores_desc_, engine, all_probabilities);
  dnnl::memory out(context_desc_, engine, context);

  // The three primitives run one after another, so they can share one scratch buffer.
  scores_.execute(stream,
                  {{DNNL_ARG_SRC, query},
                   {DNNL_ARG_WEIGHTS, key_transposed},
                   {DNNL_ARG_DST, scores},
                   {DNNL_ARG_SCRATCHPAD, scratchpad_memory(scores_scratchpad_, scratchpad)}});
  softmax_.execute(stream,
                   {{DNNL_ARG_SRC, scores},
                    {DNNL_ARG_DST, scores},
                    {DNNL_ARG_SCRATCHPAD, scratchpad_memory(softmax_scratchpad_, scratchpad)}});
  weighted_values_.execute(
      stream, {{DNNL_ARG_SRC, scores},
               {DNNL_ARG_WEIGHTS, value},
               {DNNL_ARG_DST, out},
               {DNNL_ARG_SCRATCHPAD, scratchpad_memory(weighted_values_scratchpad_, scratchpad)}});
  return keep_probabilities ? all_probabilities : nullptr;
}

}  // namespace ordo::ops
