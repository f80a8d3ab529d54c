#include "core/encoder.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "layers/attention_position.h"
#include "layers/batch.h"
#include "layers/canonical_order.h"
#include "layers/embeddings.h"
#include "layers/encoder_block.h"
#include "layers/pooling.h"
#include "layers/profile.h"
#include "ops/dnnl_context.h"
#include "ordo/error.h"

namespace ordo {
namespace {

void expect_shape(const TensorView& view, const std::vector<int64_t>& shape,
                  const std::string& name) {
  if (view.empty()) throw Error("encoder weight '" + name + "' is missing");
  if (view.shape != shape) {
    throw Error("encoder weight '" + name + "' has shape " + shape_string(view.shape) +
                ", expected " + shape_string(shape));
  }
}

// A bias the checkpoint may lack (the engine then adds nothing).
void expect_optional(const TensorView& view, const std::vector<int64_t>& shape,
                     const std::string& name) {
  if (!view.empty()) expect_shape(view, shape, name);
}

// A LayerNorm: absent (both empty, the identity), or a weight with an optional bias.
void expect_optional_pair(const TensorView& weight, const TensorView& bias, int64_t size,
                          const std::string& name) {
  if (weight.empty() && bias.empty()) return;
  expect_shape(weight, {size}, name + " weight");
  expect_optional(bias, {size}, name + " bias");
}

// The engine's own safety net: model loaders check shapes against their file names first.
void validate(const EncoderSpec& spec) {
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  if (h <= 0 || spec.num_heads <= 0 || f <= 0 || spec.vocab_size <= 0) {
    throw Error("encoder sizes must be positive (hidden " + std::to_string(h) + ", heads " +
                std::to_string(spec.num_heads) + ", intermediate " + std::to_string(f) +
                ", vocabulary " + std::to_string(spec.vocab_size) + ")");
  }
  if (h % spec.num_heads != 0) {
    throw Error("hidden size " + std::to_string(h) + " is not divisible by " +
                std::to_string(spec.num_heads) + " attention heads");
  }
  if (spec.layers.empty()) throw Error("encoder has no layers");
  if (!(spec.layer_norm_eps > 0.0f)) throw Error("layer_norm_eps must be positive");
  const int64_t e = spec.embedding_size > 0 ? spec.embedding_size : h;
  expect_shape(spec.word_embeddings, {spec.vocab_size, e}, "word_embeddings");
  if (!spec.token_type_embeddings.empty() &&
      (spec.token_type_embeddings.shape.size() != 2 || spec.token_type_embeddings.shape[1] != e ||
       spec.token_type_embeddings.shape[0] < 1)) {
    throw Error("encoder weight 'token_type_embeddings' has shape " +
                shape_string(spec.token_type_embeddings.shape) + ", expected [types, " +
                std::to_string(e) + "]");
  }
  expect_optional_pair(spec.embedding_norm_weight, spec.embedding_norm_bias, e, "embedding norm");
  if (e != h || !spec.embedding_projection_weight.empty()) {
    expect_shape(spec.embedding_projection_weight, {h, e}, "embedding projection weight");
    expect_shape(spec.embedding_projection_bias, {h}, "embedding projection bias");
  }
  expect_optional_pair(spec.final_norm_weight, spec.final_norm_bias, h, "final norm");
  if (!spec.pooler_weight.empty() || !spec.pooler_bias.empty()) {
    expect_shape(spec.pooler_weight, {h, h}, "pooler weight");
    expect_shape(spec.pooler_bias, {h}, "pooler bias");
  }
  if (spec.masked_lm_head) {
    const MaskedLmHead& head = *spec.masked_lm_head;
    const int64_t width = head.width(h);
    expect_shape(head.dense_weight, {width, h}, "mlm dense weight");
    expect_optional(head.dense_bias, {width}, "mlm dense bias");
    expect_shape(head.norm_weight, {width}, "mlm norm weight");
    expect_optional(head.norm_bias, {width}, "mlm norm bias");
    if (head.decoder_weight.empty()) {
      expect_shape(spec.word_embeddings, {spec.vocab_size, width},
                   "word_embeddings (tied decoder)");
    } else {
      expect_shape(head.decoder_weight, {spec.vocab_size, width}, "mlm decoder weight");
    }
    expect_optional(head.decoder_bias, {spec.vocab_size}, "mlm decoder bias");
  }
  if (!spec.shares_weights_of.empty()) {
    if (spec.shares_weights_of.size() != spec.layers.size()) {
      throw Error("shares_weights_of has " + std::to_string(spec.shares_weights_of.size()) +
                  " entries for " + std::to_string(spec.layers.size()) + " layers");
    }
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      const size_t owner = spec.shares_weights_of[i];
      if (owner > i || spec.shares_weights_of[owner] != owner) {
        throw Error("layer " + std::to_string(i) + " shares the weights of layer " +
                    std::to_string(owner) + ", which is not an earlier layer with its own");
      }
    }
  }
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerWeights& w = spec.layers[i];
    const std::string layer = "layer " + std::to_string(i) + " ";
    expect_shape(w.query_weight, {h, h}, layer + "query weight");
    expect_optional(w.query_bias, {h}, layer + "query bias");
    expect_shape(w.key_weight, {h, h}, layer + "key weight");
    expect_optional(w.key_bias, {h}, layer + "key bias");
    expect_shape(w.value_weight, {h, h}, layer + "value weight");
    expect_optional(w.value_bias, {h}, layer + "value bias");
    expect_shape(w.attention_output_weight, {h, h}, layer + "attention output weight");
    expect_optional(w.attention_output_bias, {h}, layer + "attention output bias");
    expect_optional_pair(w.attention_norm_weight, w.attention_norm_bias, h,
                         layer + "attention norm");
    expect_shape(w.ffn_input_weight, {f, h}, layer + "ffn input weight");
    expect_optional(w.ffn_input_bias, {f}, layer + "ffn input bias");
    if (!w.ffn_gate_weight.empty() || !w.ffn_gate_bias.empty()) {
      expect_shape(w.ffn_gate_weight, {f, h}, layer + "ffn gate weight");
      expect_optional(w.ffn_gate_bias, {f}, layer + "ffn gate bias");
    }
    expect_shape(w.ffn_output_weight, {h, f}, layer + "ffn output weight");
    expect_optional(w.ffn_output_bias, {h}, layer + "ffn output bias");
    expect_optional_pair(w.ffn_norm_weight, w.ffn_norm_bias, h, layer + "ffn norm");
    if (w.attention_window < 0) {
      throw Error(layer + "attention window must be 0 (global) or positive, got " +
                  std::to_string(w.attention_window));
    }
    if (!(w.rotary_base >= 0.0) || !std::isfinite(w.rotary_base)) {
      throw Error(layer + "rotary base must be 0 (the encoder's) or positive, got " +
                  std::to_string(w.rotary_base));
    }
  }
}

// The first `dimensions` components of each row, L2-normalised on request (Matryoshka
// embeddings are trained so that a prefix of the vector is itself an embedding).
Tensor truncated_rows(const Tensor& rows, int64_t dimensions, bool normalize) {
  const int64_t batch = rows.dim(0), hidden = rows.dim(1);
  Tensor out({batch, dimensions});
  for (int64_t b = 0; b < batch; ++b)
    std::copy_n(rows.data() + b * hidden, dimensions, out.data() + b * dimensions);
  if (normalize) layers::normalize_rows(out.data(), batch, dimensions);
  return out;
}

// BertPooler: tanh(dense(hidden state of each sequence's first token)).
void pooler_output(const EncoderSpec& spec, ops::OpCache& ops, const float* x,
                   const layers::BatchLayout& layout, bool normalize, float* pooled) {
  if (spec.pooler_weight.empty()) {
    throw Error(
        "pooling 'pooler' needs the checkpoint's pooler (pooler.dense.weight and "
        "pooler.dense.bias), and this checkpoint has none");
  }
  const int64_t hidden = spec.hidden_size, batch = static_cast<int64_t>(layout.lengths.size());
  thread_local ops::AlignedBuffer first_tokens_buffer, scratchpad;
  float* first_tokens = first_tokens_buffer.reserve(static_cast<size_t>(batch * hidden));
  layers::pool(x, layout, hidden, Pooling::cls, false, first_tokens);
  dnnl::stream stream(ops::cpu_engine());
  (*ops.linear(hidden, hidden, std::nullopt, ops::Linear::Output::overwrite))(
      stream, scratchpad, first_tokens, batch, spec.pooler_weight.data, spec.pooler_bias.data,
      pooled);
  stream.wait();
  for (int64_t i = 0; i < batch * hidden; ++i) pooled[i] = std::tanh(pooled[i]);
  if (normalize) layers::normalize_rows(pooled, batch, hidden);
}

// What the input gets: the kind when it acts there, MPNet's learned table alongside its bias in
// attention when the checkpoint's own scheme runs, else nothing.
PositionKind input_kind(const EncoderSpec& spec, const EncoderOptions& options) {
  const PositionKind kind = options.position_kind.value_or(spec.position_kind);
  if (place_of(kind) == PositionPlace::input) return kind;
  if (!options.position_kind && spec.learned_input_positions_too) return PositionKind::learned;
  return PositionKind::none;
}

}  // namespace

struct Encoder::Impl {
  Impl(EncoderSpec encoder_spec, const EncoderOptions& options)
      : spec((validate(encoder_spec), std::move(encoder_spec))),
        kind(options.position_kind.value_or(spec.position_kind)),
        // A scheme acts in one place: on the input, or inside attention (the input then gets
        // nothing), or nowhere.
        embeddings(spec, layers::PositionalEncoding::create(
                             input_kind(spec, options),
                             spec.embedding_size > 0 ? spec.embedding_size : spec.hidden_size,
                             spec.position_embeddings, spec.position_offset)),
        attention_position(layers::AttentionPosition::create(kind, spec)) {
    const auto kernel =
        options.onednn_attention ? ops::Attention::Kernel::onednn : ops::Attention::Kernel::fastest;
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      const size_t owner = spec.shares_weights_of.empty() ? i : spec.shares_weights_of[i];
      blocks.push_back(owner != i ? blocks[owner]
                                  : std::make_shared<const layers::EncoderBlock>(
                                        spec.layers[i], spec, options.compute,
                                        attention_position.get(), kernel));
    }
  }

  // The tighter of the two places' limits (0 = none): MPNet's learned table bounds it.
  int64_t max_positions() const {
    const int64_t input = embeddings.positional_encoding().max_positions();
    const int64_t inside = attention_position ? attention_position->max_positions() : 0;
    if (input == 0 || inside == 0) return std::max(input, inside);
    return std::min(input, inside);
  }

  EncoderSpec spec;
  PositionKind kind;
  // Some layer attends within a window (then its output depends on where tokens are).
  bool windowed = std::any_of(spec.layers.begin(), spec.layers.end(),
                              [](const LayerWeights& w) { return w.attention_window > 0; });
  layers::Embeddings embeddings;
  std::unique_ptr<const layers::AttentionPosition> attention_position;  // null: not inside
  std::vector<std::shared_ptr<const layers::EncoderBlock>> blocks;      // per layer, in order
  mutable ops::OpCache ops;
};

Encoder::Encoder(EncoderSpec spec, EncoderOptions options)
    : impl_(std::make_unique<Impl>(std::move(spec), options)) {
  // The first execution of a GEMM JIT-compiles its kernels (~19 ms): pay that at load.
  const int64_t limit = max_positions();
  const int64_t warmup_tokens = limit > 0 && limit < 8 ? limit : 8;
  forward(EncoderInput{{std::vector<int32_t>(static_cast<size_t>(warmup_tokens), 0)}, {}});
}

Encoder::~Encoder() = default;
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;

int64_t Encoder::hidden_size() const {
  return impl_->spec.hidden_size;
}
int64_t Encoder::num_layers() const {
  return static_cast<int64_t>(impl_->spec.layers.size());
}
int64_t Encoder::num_heads() const {
  return impl_->spec.num_heads;
}
PositionKind Encoder::position_kind() const {
  return impl_->kind;
}
int64_t Encoder::max_positions() const {
  return impl_->max_positions();
}

Tensor Encoder::position_encodings(int64_t count) const {
  const int64_t limit = max_positions();
  if (count < 0 || (limit > 0 && count > limit)) {
    throw Error("position_encodings: " + std::to_string(count) + " positions requested, the " +
                to_string(position_kind()) + " encoding has " + std::to_string(limit));
  }
  const int64_t width =
      impl_->spec.embedding_size > 0 ? impl_->spec.embedding_size : impl_->spec.hidden_size;
  Tensor table({count, width});
  for (int64_t p = 0; p < count; ++p) {
    impl_->embeddings.positional_encoding().add_to(p, table.data() + p * width);
  }
  return table;
}

Tensor Encoder::score_contribution_by_distance(int64_t count) const {
  const int64_t limit = max_positions();
  if (count < 1 || (limit > 0 && count > limit)) {
    throw Error("score_contribution_by_distance: " + std::to_string(count) +
                " positions requested, the " + to_string(position_kind()) + " encoding has " +
                (limit > 0 ? std::to_string(limit) : "no limit but needs at least 1"));
  }
  const int64_t heads = impl_->spec.num_heads, distances = 2 * count - 1;
  Tensor out({num_layers(), heads, distances});
  if (!impl_->attention_position) return out;
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    const std::vector<float> values = impl_->attention_position->by_distance(
        impl_->spec.layers[static_cast<size_t>(layer)], count);
    std::copy(values.begin(), values.end(), out.data() + layer * heads * distances);
  }
  return out;
}

EncoderOutput Encoder::forward(const EncoderInput& input, const ForwardOptions& options) const {
  // A sliding window makes position matter even under `none`: no canonical order then.
  if (impl_->kind == PositionKind::none && !impl_->windowed) {
    impl_->embeddings.validate(input);  // ids and token types of matching shapes, before sorting
    const layers::CanonicalOrder canonical(input);
    if (!canonical.is_identity()) {
      EncoderOutput output = forward(canonical.sorted(), options);  // sorted: runs as given
      canonical.restore(output);
      return output;
    }
  }
  const EncoderSpec& spec = impl_->spec;
  const int64_t hidden = spec.hidden_size;
  if (options.dimensions < 0 || options.dimensions > hidden) {
    throw Error("dimensions " + std::to_string(options.dimensions) +
                " is out of range: a pooled vector can be cut to 1 .. " + std::to_string(hidden) +
                " components (0 keeps all)");
  }
  const layers::BatchLayout layout(input.ids);
  impl_->embeddings.validate(input);
  const int64_t max_positions = impl_->max_positions();
  if (max_positions > 0 && layout.longest > max_positions) {
    throw Error("a sequence of " + std::to_string(layout.longest) + " tokens is longer than the " +
                to_string(impl_->kind) + " positional encoding allows (" +
                std::to_string(max_positions) + " positions)");
  }

  // Scratch lives per thread: concurrent calls never share it, and a thread's steady state
  // reuses it without allocating.
  thread_local layers::Workspace workspace;
  dnnl::stream stream(ops::cpu_engine());
  layers::OpProfile profile;
  layers::ForwardContext context{stream, layout, impl_->ops, workspace,
                                 options.profile ? &profile : nullptr};

  const auto batch = static_cast<int64_t>(layout.lengths.size());
  const int64_t longest = layout.longest;
  EncoderOutput output;
  output.lengths = layout.lengths;
  auto padded_hidden = [&](const float* x) {
    stream.wait();
    Tensor padded({batch, longest, hidden});
    layers::unpack(x, layout, hidden, padded.data());
    return padded;
  };

  float* x = workspace.hidden.reserve(static_cast<size_t>(layout.total_tokens * hidden));
  {
    layers::ProfileScope timed(context, "embeddings");
    impl_->embeddings.forward(context, input, x);
  }
  if (options.output_hidden_states) output.hidden_states.push_back(padded_hidden(x));

  for (const auto& block : impl_->blocks) {
    Tensor* attentions = nullptr;
    if (options.output_attentions) {
      output.attentions.emplace_back(std::vector<int64_t>{batch, spec.num_heads, longest, longest});
      attentions = &output.attentions.back();
    }
    block->forward(context, x, attentions);
    if (options.output_hidden_states) output.hidden_states.push_back(padded_hidden(x));
  }
  if (!spec.final_norm_weight.empty()) {
    layers::ProfileScope timed(context, "layer norm");
    const auto norm = impl_->ops.layer_norm(layout.total_tokens, hidden, spec.layer_norm_eps);
    // hidden_states[layers] stays the last block's output before this norm, as in Hugging
    // Face's pre-LN models; last_hidden_state is after it.
    (*norm)(stream, workspace.scratchpad, x, x, spec.final_norm_weight.data,
            spec.final_norm_bias.data);
  }
  {
    layers::ProfileScope timed(context, "outputs and pooling");
    output.last_hidden_state = padded_hidden(x);
    output.pooled = Tensor({batch, hidden});
    const bool truncate = options.dimensions > 0 && options.dimensions < hidden;
    const bool normalize_now = options.normalize && !truncate;
    if (options.pooling == Pooling::pooler) {
      pooler_output(spec, impl_->ops, x, layout, normalize_now, output.pooled.data());
    } else {
      layers::pool(x, layout, hidden, options.pooling, normalize_now, output.pooled.data());
    }
    if (truncate)
      output.pooled = truncated_rows(output.pooled, options.dimensions, options.normalize);
  }
  output.profile = profile.entries();
  return output;
}

bool Encoder::has_masked_lm_head() const {
  return impl_->spec.masked_lm_head.has_value();
}

bool Encoder::has_pooler() const {
  return !impl_->spec.pooler_weight.empty();
}

bool Encoder::has_attention_window() const {
  for (const LayerWeights& layer : impl_->spec.layers) {
    if (layer.attention_window > 0) return true;
  }
  return false;
}

Tensor Encoder::masked_lm_logits(const EncoderOutput& output,
                                 const std::vector<std::pair<int64_t, int64_t>>& rows) const {
  const EncoderSpec& spec = impl_->spec;
  if (!spec.masked_lm_head) throw Error("this checkpoint has no masked-language-model head");
  const MaskedLmHead& head = *spec.masked_lm_head;
  const int64_t hidden = spec.hidden_size, count = static_cast<int64_t>(rows.size());
  if (count == 0) return Tensor({0, spec.vocab_size});
  const Tensor& states = output.last_hidden_state;
  std::vector<float> selected(static_cast<size_t>(count * hidden));
  for (int64_t r = 0; r < count; ++r) {
    const auto [sequence, token] = rows[static_cast<size_t>(r)];
    if (sequence < 0 || sequence >= states.dim(0) || token < 0 ||
        token >= output.lengths.at(static_cast<size_t>(sequence))) {
      throw Error("masked_lm_logits: row (" + std::to_string(sequence) + ", " +
                  std::to_string(token) + ") is not a real token of the output");
    }
    const float* from = states.data() + (sequence * states.dim(1) + token) * hidden;
    std::copy(from, from + hidden, selected.begin() + r * hidden);
  }
  thread_local ops::AlignedBuffer transformed_buffer, scratchpad;
  const int64_t width = head.width(hidden);
  float* transformed = transformed_buffer.reserve(static_cast<size_t>(count * width));
  dnnl::stream stream(ops::cpu_engine());
  const auto overwrite = ops::Linear::Output::overwrite;
  // A bias-free head (ModernBERT's classifier_bias / decoder_bias false) adds zeros.
  const bool bias_free = head.dense_bias.empty() || head.decoder_bias.empty();
  const std::vector<float> zeros(
      bias_free ? static_cast<size_t>(std::max(spec.vocab_size, width)) : 0, 0.0f);
  auto bias_of = [&](const TensorView& bias) { return bias.empty() ? zeros.data() : bias.data; };
  (*impl_->ops.linear(hidden, width, head.activation, overwrite))(
      stream, scratchpad, selected.data(), count, head.dense_weight.data, bias_of(head.dense_bias),
      transformed);
  (*impl_->ops.layer_norm(count, width, spec.layer_norm_eps))(
      stream, scratchpad, transformed, transformed, head.norm_weight.data, head.norm_bias.data);
  Tensor logits({count, spec.vocab_size});
  const TensorView& decoder =
      head.decoder_weight.empty() ? spec.word_embeddings : head.decoder_weight;
  (*impl_->ops.linear(width, spec.vocab_size, std::nullopt, overwrite))(
      stream, scratchpad, transformed, count, decoder.data, bias_of(head.decoder_bias),
      logits.data());
  stream.wait();
  return logits;
}

void set_num_threads(int threads) {
  if (threads < 1) throw Error("thread count must be at least 1, got " + std::to_string(threads));
  omp_set_num_threads(threads);
}

const char* to_string(PositionKind kind) {
  switch (kind) {
    case PositionKind::none:
      return "none";
    case PositionKind::sinusoidal:
      return "sinusoidal";
    case PositionKind::sinusoidal_blocked:
      return "sinusoidal-blocked";
    case PositionKind::learned:
      return "learned";
    case PositionKind::rotary:
      return "rotary";
    case PositionKind::alibi:
      return "alibi";
    case PositionKind::relative_key:
      return "relative_key";
    case PositionKind::relative_key_query:
      return "relative_key_query";
    case PositionKind::relative_bias:
      return "relative_bias";
  }
  return "?";
}

namespace {
constexpr PositionKind kAllPositionKinds[] = {PositionKind::none,
                                              PositionKind::sinusoidal,
                                              PositionKind::sinusoidal_blocked,
                                              PositionKind::learned,
                                              PositionKind::rotary,
                                              PositionKind::alibi,
                                              PositionKind::relative_key,
                                              PositionKind::relative_key_query,
                                              PositionKind::relative_bias};
}  // namespace

PositionPlace place_of(PositionKind kind) {
  switch (kind) {
    case PositionKind::none:
      return PositionPlace::nowhere;
    case PositionKind::sinusoidal:
    case PositionKind::sinusoidal_blocked:
    case PositionKind::learned:
      return PositionPlace::input;
    case PositionKind::rotary:
    case PositionKind::alibi:
    case PositionKind::relative_key:
    case PositionKind::relative_key_query:
    case PositionKind::relative_bias:
      return PositionPlace::attention;
  }
  return PositionPlace::nowhere;
}

std::string position_kind_names() {
  std::string names;
  for (PositionKind kind : kAllPositionKinds) {
    names += (names.empty() ? "" : ", ") + std::string(to_string(kind));
  }
  return names;
}

PositionKind parse_position_kind(const std::string& name) {
  for (PositionKind kind : kAllPositionKinds) {
    if (name == to_string(kind)) return kind;
  }
  throw Error("unknown positional encoding '" + name + "' (expected " + position_kind_names() +
              ")");
}

const char* to_string(Pooling pooling) {
  switch (pooling) {
    case Pooling::cls:
      return "cls";
    case Pooling::mean:
      return "mean";
    case Pooling::max:
      return "max";
    case Pooling::mean_sqrt_len:
      return "mean_sqrt_len";
    case Pooling::pooler:
      return "pooler";
  }
  return "?";
}

const char* to_string(ComputeType type) {
  switch (type) {
    case ComputeType::f32:
      return "f32";
    case ComputeType::bf16:
      return "bf16";
    case ComputeType::int8:
      return "int8";
  }
  return "?";
}

ComputeType parse_compute_type(const std::string& name) {
  for (ComputeType type : {ComputeType::f32, ComputeType::bf16, ComputeType::int8}) {
    if (name == to_string(type)) return type;
  }
  throw Error("unknown compute type '" + name + "' (expected f32, bf16 or int8)");
}

Pooling parse_pooling(const std::string& name) {
  for (Pooling pooling :
       {Pooling::cls, Pooling::mean, Pooling::max, Pooling::mean_sqrt_len, Pooling::pooler}) {
    if (name == to_string(pooling)) return pooling;
  }
  throw Error("unknown pooling '" + name + "' (expected cls, mean, max, mean_sqrt_len or pooler)");
}

}  // namespace ordo
