#include "ops/attention.h"

#include <algorithm>
#include <limits>
#include <string>

#include "ops/attention_kernel.h"
#include "ordo/error.h"

namespace ordo::ops {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

namespace {

// Queries per band of oneDNN's local path: each band relates rows + 2w keys, at most 1.5x the
// 2w + 1 a query needs once rows >= w, while the bands stay few; 16 keeps tiny windows from
// costing three primitive calls per query.
constexpr int64_t kMinBandRows = 16;

}  // namespace

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
  if (window_ == 0) {
    primitives_.push_back(make_primitives(length, length));
    bands_.push_back({0, length, 0, length, 0});
    return;
  }
  const int64_t band_rows = std::max(window_, kMinBandRows);
  for (int64_t first = 0; first < length; first += band_rows) {
    const int64_t rows = std::min(band_rows, length - first);
    const int64_t key_begin = std::max<int64_t>(0, first - window_);
    const int64_t keys = std::min(length, first + rows + window_) - key_begin;
    size_t shape = 0;
    while (shape < primitives_.size() &&
           (primitives_[shape].rows != rows || primitives_[shape].keys != keys))
      ++shape;
    if (shape == primitives_.size()) primitives_.push_back(make_primitives(rows, keys));
    bands_.push_back({first, rows, key_begin, keys, shape});
  }
}

int64_t Attention::scored_pairs() const {
  int64_t pairs = 0;
  for (const Band& band : bands_) pairs += band.rows * band.keys;
  return pairs;
}

Attention::Primitives Attention::make_primitives(int64_t rows, int64_t keys) const {
  const int64_t hidden = heads_ * head_dim_;
  const int64_t row = 3 * hidden;  // leading dimension of qkv
  const int64_t sequence = length_ * row;
  Primitives p;
  p.rows = rows;
  p.keys = keys;
  // Views over qkv as {batch, head, token, dim}: head h of Q starts at column h * head_dim; a
  // band's views start at its first query (key) row.
  p.query =
      dnnl::memory::desc({batch_, heads_, rows, head_dim_}, dt::f32, {sequence, head_dim_, row, 1});
  p.key_transposed =
      dnnl::memory::desc({batch_, heads_, head_dim_, keys}, dt::f32, {sequence, head_dim_, 1, row});
  p.value =
      dnnl::memory::desc({batch_, heads_, keys, head_dim_}, dt::f32, {sequence, head_dim_, row, 1});
  p.scores = dnnl::memory::desc({batch_, heads_, rows, keys}, dt::f32, tag::abcd);
  // {batch, head, token, dim} stored token-major: exactly the [batch * length, hidden] rows
  // that the output projection reads.
  p.context = dnnl::memory::desc({batch_, heads_, rows, head_dim_}, dt::f32,
                                 {length_ * hidden, head_dim_, hidden, 1});

  const auto& engine = cpu_engine();
  const auto attr = user_scratchpad_attr();
  // A bias or a window's mask is written into the scores first; the matmul then adds Q K^T.
  auto scores_attr = user_scratchpad_attr();
  if (score_bias_ || window_ > 0) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    scores_attr.set_post_ops(sum);
  }
  const dnnl::matmul::primitive_desc scores_pd(
      dnnl::matmul::desc(p.query, p.key_transposed, p.scores), scores_attr, engine);
  const dnnl::softmax_v2_forward::primitive_desc softmax_pd(
      dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::softmax_accurate, p.scores, p.scores, 3),
      attr, engine);
  const dnnl::matmul::primitive_desc weighted_values_pd(
      dnnl::matmul::desc(p.scores, p.value, p.context), attr, engine);
  p.scores_scratchpad = scores_pd.scratchpad_desc();
  p.softmax_scratchpad = softmax_pd.scratchpad_desc();
  p.weighted_values_scratchpad = weighted_values_pd.scratchpad_desc();
  p.scores_matmul = dnnl::matmul(scores_pd);
  p.softmax = dnnl::softmax_v2_forward(softmax_pd);
  p.weighted_values = dnnl::matmul(weighted_values_pd);
  return p;
}

void Attention::fill_scores(float* scores, int64_t first, int64_t rows, int64_t key_begin,
                            int64_t keys, const AttentionPositions& positions) const {
  // Keys outside the window get the lowest float, as Hugging Face's masks do: e^(score -
  // maximum) is then 0, with no infinity in the arithmetic.
  constexpr float kMasked = std::numeric_limits<float>::lowest();
#pragma omp parallel for schedule(static)
  for (int64_t pair = 0; pair < batch_ * heads_; ++pair) {
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t query = first + r;
      float* row = scores + (pair * rows + r) * keys;
      if (score_bias_) {
        std::copy_n(positions.bias.row(pair / heads_, pair % heads_, query) + key_begin, keys, row);
      } else {
        std::fill_n(row, keys, 0.0f);
      }
      if (window_ == 0) continue;
      const auto [begin, end] = window_keys(query, key_begin, keys);
      std::fill(row, row + begin, kMasked);
      std::fill(row + end, row + keys, kMasked);
    }
  }
}

// The lowest float makes e^(score - maximum) exactly 0 in oneDNN's x86 softmax, but its aarch64
// build clamps the exponent and gives a denormal (3.6e-39): outside the window a probability
// must be 0 on every CPU, so it is set to 0.
void Attention::clear_outside_window(float* probabilities, int64_t first, int64_t rows,
                                     int64_t key_begin, int64_t keys) const {
#pragma omp parallel for schedule(static)
  for (int64_t pair = 0; pair < batch_ * heads_; ++pair) {
    for (int64_t r = 0; r < rows; ++r) {
      float* row = probabilities + (pair * rows + r) * keys;
      const auto [begin, end] = window_keys(first + r, key_begin, keys);
      std::fill(row, row + begin, 0.0f);
      std::fill(row + end, row + keys, 0.0f);
    }
  }
}

std::pair<int64_t, int64_t> Attention::window_keys(int64_t query, int64_t key_begin,
                                                   int64_t keys) const {
  return {std::clamp<int64_t>(query - window_ - key_begin, 0, keys),
          std::clamp<int64_t>(query + window_ + 1 - key_begin, 0, keys)};
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
  // Global: one band, whose scores are the probabilities tensor itself. Local: each band's scores
  // in a buffer of their own (after the whole tensor when it is kept, which is zero outside the
  // bands' keys).
  const bool global = window_ == 0;
  const int64_t kept_floats = keep_probabilities || global ? probabilities_size() : 0;
  int64_t band_floats = 0;
  if (!global) {
    for (const Primitives& p : primitives_)
      band_floats = std::max(band_floats, batch_ * heads_ * p.rows * p.keys);
  }
  float* buffer = probabilities.reserve(static_cast<size_t>(kept_floats + band_floats));
  float* all_probabilities = keep_probabilities || global ? buffer : nullptr;
  if (!global && keep_probabilities) std::fill_n(all_probabilities, kept_floats, 0.0f);

  const auto& engine = cpu_engine();
  const int64_t hidden = heads_ * head_dim_;
  const int64_t row = 3 * hidden;
  for (const Band& band : bands_) {
    const Primitives& p = primitives_[band.shape];
    float* scores_data = global ? buffer : buffer + kept_floats;
    if (score_bias_ || !global)
      fill_scores(scores_data, band.first, band.rows, band.key_begin, band.keys, positions);
    dnnl::memory query(p.query, engine, qkv + band.first * row);
    dnnl::memory key_transposed(p.key_transposed, engine, qkv + band.key_begin * row + hidden);
    dnnl::memory value(p.value, engine, qkv + band.key_begin * row + 2 * hidden);
    dnnl::memory scores(p.scores, engine, scores_data);
    dnnl::memory out(p.context, engine, context + band.first * hidden);
    // The three primitives run one after another, so they can share one scratch buffer.
    p.scores_matmul.execute(
        stream, {{DNNL_ARG_SRC, query},
                 {DNNL_ARG_WEIGHTS, key_transposed},
                 {DNNL_ARG_DST, scores},
                 {DNNL_ARG_SCRATCHPAD, scratchpad_memory(p.scores_scratchpad, scratchpad)}});
    p.softmax.execute(stream,
                      {{DNNL_ARG_SRC, scores},
                       {DNNL_ARG_DST, scores},
                       {DNNL_ARG_SCRATCHPAD, scratchpad_memory(p.softmax_scratchpad, scratchpad)}});
    if (!global) {
      stream.wait();
      clear_outside_window(scores_data, band.first, band.rows, band.key_begin, band.keys);
    }
    p.weighted_values.execute(
        stream,
        {{DNNL_ARG_SRC, scores},
         {DNNL_ARG_WEIGHTS, value},
         {DNNL_ARG_DST, out},
         {DNNL_ARG_SCRATCHPAD, scratchpad_memory(p.weighted_values_scratchpad, scratchpad)}});
    if (!global && keep_probabilities) {
      stream.wait();
      for (int64_t pair = 0; pair < batch_ * heads_; ++pair) {
        for (int64_t r = 0; r < band.rows; ++r) {
          std::copy_n(
              scores_data + (pair * band.rows + r) * band.keys, band.keys,
              all_probabilities + (pair * length_ + band.first + r) * length_ + band.key_begin);
        }
      }
    }
  }
  return keep_probabilities ? all_probabilities : nullptr;
}

}  // namespace ordo::ops
