#pragma once
// The generic Transformer encoder: what a model family fills in (EncoderSpec), how to run it
// (Encoder::forward) and what comes out (EncoderOutput). No Hugging Face names appear here.
// This is the engine's interface to models/, tools/ and tests; it is not installed. The
// installed API (engine/include/ordo/) wraps it in ordo::Model.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ordo {

enum class Activation { gelu, gelu_tanh, relu, silu };
// The number type of the four projections of every layer (QKV, attention output, FFN in and
// out); embeddings, attention scores, layer norms, residuals and heads stay f32 in all three.
//   f32   exact
//   bf16  weights and inputs rounded to bfloat16, f32 accumulation (ops/bf16_linear.h); only on
//         CPUs with native bf16 (AVX512-BF16 or AMX), refused elsewhere
//   int8  weights per channel, activations per token (ops/quantized_linear.h)
enum class ComputeType { f32, bf16, int8 };
const char* to_string(ComputeType type);
// "f32", "bf16" or "int8"; throws Error listing them otherwise.
ComputeType parse_compute_type(const std::string& name);
// How a model knows token positions. The first four act on the input (a vector added to each
// token's embedding, or nothing); the rest act inside attention: `rotary` rotates q and k,
// the others add a bias to the scores before the softmax.
enum class PositionKind {
  none,
  sinusoidal,
  sinusoidal_blocked,
  learned,
  rotary,              // Su et al. 2021 (RoFormer): q, k rotated by position-dependent angles
  alibi,               // Press et al. 2022: score -= m_h |i - j|
  relative_key,        // Shaw et al. 2018: score += q_i . r(i - j)
  relative_key_query,  // Huang et al. 2020: score += q_i . r(i - j) + k_j . r(i - j)
  relative_bias,       // Raffel et al. 2020 (T5), MPNet: score += b_h[bucket(j - i)]
};
enum class PositionPlace { nowhere, input, attention };
PositionPlace place_of(PositionKind kind);
enum class NormPlacement { post, pre };  // post: LN(x + f(x)) (BERT); pre: x + f(LN(x))
// mean_sqrt_len: the sum over tokens / sqrt(tokens) (sentence-transformers' pooling mode).
// pooler: Hugging Face's pooler_output, tanh(W h_first + b), for checkpoints with a pooler.
enum class Pooling { cls, mean, max, mean_sqrt_len, pooler };

const char* to_string(PositionKind kind);
PositionKind parse_position_kind(const std::string& name);  // "none", "sinusoidal", ...
// "none, sinusoidal, sinusoidal-blocked, learned, rotary, ...": every name, for messages.
std::string position_kind_names();
const char* to_string(Pooling pooling);
Pooling parse_pooling(const std::string& name);

// Weights of one encoder block, each in PyTorch's [out][in] order. Every bias may be empty (no
// bias, as NomicBERT's qkv_proj_bias / mlp_fc*_bias false, ModernBERT's norm_bias false); a
// norm with an empty weight is the identity (ModernBERT's first attn_norm, an nn.Identity). A
// loader reading a fused matrix (NomicBERT's Wqkv, JinaBERT's gated_layers) hands its row
// blocks over as separate views.
struct LayerWeights {
  TensorView query_weight, query_bias;  // [hidden, hidden], [hidden]
  TensorView key_weight, key_bias;
  TensorView value_weight, value_bias;
  TensorView attention_output_weight, attention_output_bias;  // [hidden, hidden], [hidden]
  TensorView attention_norm_weight, attention_norm_bias;      // LayerNorm around attention
  // The FFN's first matrix; in a gated FFN the "up" (value) half, multiplied by act(gate).
  TensorView ffn_input_weight, ffn_input_bias;  // [intermediate, hidden]
  // Gated FFN (GLU family): FFN(x) = (act(x Wg + bg) * (x W1 + b1)) W2 + b2, elementwise *.
  // Empty: the plain FFN act(x W1 + b1) W2 + b2.
  TensorView ffn_gate_weight, ffn_gate_bias;      // [intermediate, hidden]
  TensorView ffn_output_weight, ffn_output_bias;  // [hidden, intermediate]
  TensorView ffn_norm_weight, ffn_norm_bias;      // LayerNorm around the FFN
  // relative_key kinds: r(d) for distances d = -(P-1) .. P-1, [2P - 1, head_dim]; may be empty.
  TensorView distance_embedding;
  // Sliding-window local attention: > 0, query i attends only to keys j with |i - j| <=
  // attention_window (ModernBERT's local_attention / 2 on its local layers); 0, to every key.
  int64_t attention_window = 0;
  // Rotary kind: this layer's base (ModernBERT's local_rope_theta on local layers); 0, the
  // encoder's RotarySettings::base. RotarySettings::frequency_scale applies to either.
  double rotary_base = 0.0;
};

// Rotary settings, as NomicBERT's config names them (rotary_emb_*).
struct RotarySettings {
  double base = 10000.0;
  double fraction = 1.0;     // the first fraction x head_dim dimensions of each head rotate
  bool interleaved = false;  // false: pairs (i, i + rot/2) (GPT-NeoX); true: (2i, 2i+1) (GPT-J)
  // Multiplies every pair's frequency: pair i turns by t x frequency_scale / base^(2i / rot).
  // GTE-v1.5's fixed NTK scaling by f is base x f with frequency_scale f^(-2 / rot).
  double frequency_scale = 1.0;
};

// T5 / MPNet bucketed relative bias: distances up to num_buckets / 4 each have a bucket, longer
// ones share log-spaced buckets up to max_distance; each direction has num_buckets / 2.
struct RelativeBucketSettings {
  int64_t num_buckets = 32;
  int64_t max_distance = 128;
};

// The names, in the checkpoint, of the optional position weights, so that the engine's errors
// can say which tensor a kind needs. Filled by the model loaders.
struct PositionWeightNames {
  std::string position_embeddings = "position embeddings";
  std::string distance_embedding = "layer 0 distance embedding";  // relative_key kinds
  std::string relative_attention_bias = "relative attention bias";
};

// BERT's masked-language-model head: logits = LayerNorm(act(h W + b)) E^T + bias, with E the
// word embeddings (tied, as Hugging Face's BertForMaskedLM) unless a decoder is given. Its
// width is hidden for BERT-like models and embedding_size for ALBERT (AlbertMLMHead). The
// three biases may be empty (ModernBERT's classifier_bias, norm_bias, decoder_bias false).
struct MaskedLmHead {
  TensorView dense_weight, dense_bias;  // [width, hidden], [width]
  TensorView norm_weight, norm_bias;    // [width]
  TensorView decoder_weight;            // [vocab, width]; empty = the word embeddings
  TensorView decoder_bias;              // [vocab]
  Activation activation = Activation::gelu;
  int64_t width(int64_t hidden) const {
    return dense_weight.shape.size() == 2 ? dense_weight.shape[0] : hidden;
  }
};

// Everything the engine needs to run one encoder. Views point into `storage`.
struct EncoderSpec {
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t vocab_size = 0;
  Activation activation = Activation::gelu;  // of the FFN; of its gate when the FFN is gated
  float layer_norm_eps = 1e-12f;
  NormPlacement norm_placement = NormPlacement::post;

  PositionKind position_kind = PositionKind::learned;
  // MPNet knows position twice: a learned table added to the input and the bucketed bias
  // (position_kind relative_bias) inside attention. Running under another kind (--pe) replaces
  // both.
  bool learned_input_positions_too = false;
  int64_t position_offset = 0;   // position of the first token (RoBERTa: pad_token_id + 1)
  float embedding_scale = 1.0f;  // multiplies word embeddings (Marian: sqrt(hidden))

  // ALBERT's factorised embeddings: the tables are embedding_size wide (0 = hidden_size) and
  // their LayerNorm output is projected to hidden_size by this [hidden, embedding_size] linear.
  int64_t embedding_size = 0;
  TensorView embedding_projection_weight, embedding_projection_bias;

  RotarySettings rotary;                    // rotary kind
  RelativeBucketSettings relative_buckets;  // relative_bias kind
  PositionWeightNames position_weight_names;

  TensorView word_embeddings;      // [vocab, embedding width]
  TensorView position_embeddings;  // [max_positions, hidden]; may be empty unless learned
  // relative_bias: one [num_buckets, heads] table shared by every layer; may be empty.
  TensorView relative_attention_bias;
  TensorView token_type_embeddings;                       // [type_vocab, hidden], may be empty
  TensorView embedding_norm_weight, embedding_norm_bias;  // may be empty
  TensorView final_norm_weight, final_norm_bias;          // pre-LN models; may be empty
  std::vector<LayerWeights> layers;                       // one per application, in order
  // ALBERT applies one set of weights in many layers: per layer, the index of the earlier layer
  // whose weights it applies again, or its own index. Empty: every layer has its own. Shared
  // layers share their packed weights too.
  std::vector<size_t> shares_weights_of;
  std::optional<MaskedLmHead> masked_lm_head;  // checkpoints with an MLM head
  // BertPooler's dense layer ([hidden, hidden], [hidden]); empty when the checkpoint has none.
  TensorView pooler_weight, pooler_bias;

  std::shared_ptr<const void> storage;  // keeps the mapped checkpoint alive
};

struct EncoderOptions {
  // Run the weights under another positional encoding than the checkpoint's (the
  // comparison ordo exists for). `learned`, `relative_key*` and `relative_bias` need their
  // tables in the checkpoint; the other kinds have no weights and run on any checkpoint.
  std::optional<PositionKind> position_kind;
  ComputeType compute = ComputeType::f32;  // of the four projections of every layer
  // Run attention through oneDNN's primitives even where ordo's own kernel would run: the
  // tests check both paths on one machine.
  bool onednn_attention = false;
};

struct EncoderInput {
  std::vector<std::vector<int32_t>> ids;          // one sequence per batch row, no padding
  std::vector<std::vector<int32_t>> token_types;  // empty, or one row per sequence (same length)
};

struct ForwardOptions {
  bool output_hidden_states = false;  // costs a copy per layer when on, nothing when off
  bool output_attentions = false;
  Pooling pooling = Pooling::mean;
  bool normalize = false;  // L2-normalise the pooled vectors
  // Matryoshka truncation: keep the first `dimensions` components of each pooled vector, then
  // normalise (when on). 0 keeps them all; otherwise 1 .. hidden_size.
  int64_t dimensions = 0;
  bool profile = false;  // fill EncoderOutput::profile (one clock read per op)
};

// Wall time spent in one kind of op during a forward pass, summed over its calls.
struct OpTime {
  std::string op;  // "qkv projection", "attention", "ffn input", ...
  int64_t calls = 0;
  double ms = 0.0;
  double flops = 0.0;  // multiply-adds x 2 for the matmul ops, 0 for the others
};

struct EncoderOutput {
  std::vector<int64_t> lengths;       // real tokens per sequence
  Tensor last_hidden_state;           // [batch, longest, hidden], padded rows are zero
  std::vector<Tensor> hidden_states;  // layers + 1 tensors like last_hidden_state (on request)
  std::vector<Tensor> attentions;     // per layer [batch, heads, longest, longest] (on request)
  Tensor pooled;                      // [batch, hidden], or [batch, dimensions]
  std::vector<OpTime> profile;        // when ForwardOptions::profile, in order of first use
};

class Encoder {
 public:
  explicit Encoder(EncoderSpec spec, EncoderOptions options = {});
  ~Encoder();
  Encoder(Encoder&&) noexcept;
  Encoder& operator=(Encoder&&) noexcept;

  // Thread-safe: one Encoder may serve many threads at once.
  EncoderOutput forward(const EncoderInput& input, const ForwardOptions& options = {}) const;

  // Vocabulary logits [rows.size(), vocab] for the given rows (sequence, token) of
  // output.last_hidden_state. Throws ordo::Error if the checkpoint has no MLM head.
  Tensor masked_lm_logits(const EncoderOutput& output,
                          const std::vector<std::pair<int64_t, int64_t>>& rows) const;
  bool has_masked_lm_head() const;
  bool has_pooler() const;  // Pooling::pooler needs it; forward throws ordo::Error otherwise
  // Some layer attends within a sliding window: word order then matters even under
  // PositionKind::none (which keys a token reaches depends on where it is).
  bool has_attention_window() const;

  int64_t hidden_size() const;
  int64_t num_layers() const;
  int64_t num_heads() const;
  PositionKind position_kind() const;
  // Largest number of tokens per sequence, or 0 when positions are unbounded.
  int64_t max_positions() const;
  // The vectors the positional encoding adds to tokens 0 .. count-1 of a sequence, [count,
  // hidden] (all zero for `none` and the kinds inside attention). Throws ordo::Error when count
  // exceeds max_positions().
  Tensor position_encodings(int64_t count) const;
  // For the kinds inside attention, what position alone does to a score at each distance
  // j - i = -(count - 1) .. count - 1, as [layers, heads, 2 count - 1]:
  //   alibi, relative_bias: the bias itself (the same for every layer for these two);
  //   relative_key(_query): |r(i - j)|, the norm of the learned distance vector (the same for
  //     every head; its product with a query depends on the text);
  //   rotary: q . k / head_dim for q = k = ones, rotated by positions i and j (Su et al.'s
  //     long-range decay), the same for every layer and head;
  //   the other kinds: zeros.
  Tensor score_contribution_by_distance(int64_t count) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sets the number of OpenMP threads ordo (and oneDNN inside it) uses. Call before loading:
// oneDNN's GEMM captures the thread count when a primitive is created.
void set_num_threads(int threads);

}  // namespace ordo
