#include "synthetic_model.h"

#include <cmath>
#include <memory>

#include "args.h"

namespace ordo::cli {
namespace {

// SplitMix64: fast enough for BERT-base's 110 M weights in well under a second per core.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  float uniform_pm1() {  // uniform in [-1, 1)
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
  }

 private:
  uint64_t state_;
};

// Hands out views into one allocation, filled as they are taken.
class Arena {
 public:
  Arena(std::shared_ptr<std::vector<float>> storage, uint64_t seed)
      : storage_(std::move(storage)), random_(seed) {}
  TensorView take(std::vector<int64_t> shape, float centre, float std_dev) {
    int64_t count = 1;
    for (int64_t size : shape) count *= size;
    float* data = storage_->data() + used_;
    used_ += static_cast<size_t>(count);
    const float half_width = std_dev * std::sqrt(3.0f);  // uniform with this std
    for (int64_t i = 0; i < count; ++i) data[i] = centre + half_width * random_.uniform_pm1();
    return TensorView{data, std::move(shape)};
  }

 private:
  std::shared_ptr<std::vector<float>> storage_;
  size_t used_ = 0;
  Random random_;
};

SyntheticShape bert_layout(std::string name, int64_t layers, int64_t hidden, int64_t vocab,
                           int64_t positions) {
  SyntheticShape shape;
  shape.name = std::move(name);
  shape.layers = layers;
  shape.hidden = hidden;
  shape.heads = hidden / 64;
  shape.intermediate = 4 * hidden;
  shape.vocab = vocab;
  shape.positions = positions;
  return shape;
}

std::vector<SyntheticShape> make_shapes() {
  std::vector<SyntheticShape> shapes;
  SyntheticShape minilm = bert_layout("minilm", 6, 384, 30522, 512);
  minilm.heads = 12;
  minilm.in_default_run = true;
  shapes.push_back(minilm);
  SyntheticShape bert = bert_layout("bert-base", 12, 768, 30522, 512);
  bert.in_default_run = true;
  shapes.push_back(bert);
  // all-mpnet-base-v2: positions from padding_idx + 1, no token types.
  SyntheticShape mpnet = bert_layout("mpnet-base", 12, 768, 30527, 514);
  mpnet.position_kind = PositionKind::relative_bias;
  mpnet.learned_input_positions_too = true;
  mpnet.position_offset = 2;
  mpnet.token_types = 0;
  shapes.push_back(mpnet);
  // nomic-embed-text-v1.5: SwiGLU, rotary base 1000 over whole heads, no linear biases.
  // Rotary needs no table; 512 positions keep the --pe tables (and the RSS) at BERT-base size.
  SyntheticShape nomic = bert_layout("nomic-v1.5", 12, 768, 30528, 512);
  nomic.position_kind = PositionKind::rotary;
  nomic.rotary.base = 1000.0;
  nomic.gated = true;
  nomic.activation = Activation::silu;
  nomic.attention_biases = nomic.ffn_input_biases = nomic.ffn_output_bias = false;
  shapes.push_back(nomic);
  // gte-base-en-v1.5: rope_theta 500000 with NTK factor 2 (base x 2, frequencies x 2^(-2/64)),
  // GLU with GELU, no bias on up_gate_proj, no token types.
  SyntheticShape gte = bert_layout("gte-base", 12, 768, 30528, 512);
  gte.position_kind = PositionKind::rotary;
  gte.rotary.base = 1000000.0;
  gte.rotary.frequency_scale = std::pow(2.0, -2.0 / 64.0);
  gte.gated = true;
  gte.ffn_input_biases = false;
  gte.token_types = 0;
  shapes.push_back(gte);
  // ModernBERT-base: GeGLU 1152, rotary over whole heads with base 160000 on the global layers
  // (every 3rd, from layer 0) and 10000 on the others, which see 64 tokens on each side
  // (local_attention 128); no biases, no position table, no token types. modernbert_spec
  // builds it; the -global shape has the same weights with every layer global.
  SyntheticShape modernbert = bert_layout("modernbert-base", 22, 768, 50368, 0);
  modernbert.intermediate = 1152;
  modernbert.position_kind = PositionKind::rotary;
  modernbert.rotary.base = 160000.0;
  modernbert.gated = true;
  modernbert.attention_biases = modernbert.ffn_input_biases = modernbert.ffn_output_bias = false;
  modernbert.token_types = 0;
  modernbert.global_every = 3;
  modernbert.window = 64;
  modernbert.local_rotary_base = 10000.0;
  shapes.push_back(modernbert);
  SyntheticShape modernbert_global = modernbert;
  modernbert_global.name = "modernbert-base-global";
  modernbert_global.global_every = 1;
  modernbert_global.window = 0;
  shapes.push_back(modernbert_global);
  return shapes;
}

}  // namespace

const std::vector<SyntheticShape>& synthetic_shapes() {
  static const std::vector<SyntheticShape> shapes = make_shapes();
  return shapes;
}

const SyntheticShape& synthetic_shape(const std::string& name) {
  std::string names;
  for (const SyntheticShape& shape : synthetic_shapes()) {
    if (shape.name == name) return shape;
    names += (names.empty() ? "" : ", ") + shape.name;
  }
  throw UsageError("--shape: unknown shape '" + name + "' (expected one of " + names + ")");
}

namespace {

// ModernBERT's layout: no biases, no position table, GeGLU; the window and the rotary base
// per layer are all that differs between its local and global shapes, so they share weights.
EncoderSpec modernbert_spec(const SyntheticShape& shape, uint64_t seed) {
  const int64_t h = shape.hidden, f = shape.intermediate;
  const int64_t total = (shape.vocab + 2) * h + shape.layers * (4 * h * h + 3 * h * f + 2 * h);
  auto storage = std::make_shared<std::vector<float>>(static_cast<size_t>(total));
  Arena arena(storage, seed);
  constexpr float kStd = 0.02f;
  EncoderSpec spec;
  spec.hidden_size = h;
  spec.num_heads = shape.heads;
  spec.intermediate_size = f;
  spec.vocab_size = shape.vocab;
  spec.layer_norm_eps = 1e-5f;
  spec.norm_placement = NormPlacement::pre;
  spec.activation = shape.activation;
  spec.position_kind = shape.position_kind;
  spec.rotary = shape.rotary;
  spec.word_embeddings = arena.take({shape.vocab, h}, 0.0f, kStd);
  spec.embedding_norm_weight = arena.take({h}, 1.0f, kStd);
  for (int64_t l = 0; l < shape.layers; ++l) {
    LayerWeights layer;
    for (auto* weight : {&layer.query_weight, &layer.key_weight, &layer.value_weight,
                         &layer.attention_output_weight})
      *weight = arena.take({h, h}, 0.0f, kStd);
    const TensorView norm = arena.take({h}, 1.0f, kStd);
    if (l > 0) layer.attention_norm_weight = norm;  // layer 0's is the identity
    layer.ffn_norm_weight = arena.take({h}, 1.0f, kStd);
    layer.ffn_gate_weight = arena.take({f, h}, 0.0f, kStd);
    layer.ffn_input_weight = arena.take({f, h}, 0.0f, kStd);
    layer.ffn_output_weight = arena.take({h, f}, 0.0f, kStd);
    if (l % shape.global_every != 0) {
      layer.attention_window = shape.window;
      layer.rotary_base = shape.local_rotary_base;
    }
    spec.layers.push_back(layer);
  }
  spec.final_norm_weight = arena.take({h}, 1.0f, kStd);
  spec.storage = storage;
  return spec;
}

}  // namespace

EncoderSpec synthetic_spec(const SyntheticShape& shape, uint64_t seed) {
  if (shape.global_every > 0) return modernbert_spec(shape, seed);
  const int64_t h = shape.hidden, f = shape.intermediate;
  const int64_t head_dim = h / shape.heads, distances = 2 * shape.positions - 1;
  const RelativeBucketSettings buckets;
  // The tables of every positional kind, so that --pe can run any of them.
  const int64_t per_layer =
      4 * h * h + (shape.gated ? 3 : 2) * h * f + 9 * h + 2 * f + distances * head_dim;
  const int64_t total = (shape.vocab + shape.positions + shape.token_types + 2) * h +
                        buckets.num_buckets * shape.heads + shape.layers * per_layer;
  auto storage = std::make_shared<std::vector<float>>(static_cast<size_t>(total));
  Arena arena(storage, seed);
  constexpr float kStd = 0.02f;

  EncoderSpec spec;
  spec.hidden_size = h;
  spec.num_heads = shape.heads;
  spec.intermediate_size = f;
  spec.vocab_size = shape.vocab;
  spec.activation = shape.activation;
  spec.position_kind = shape.position_kind;
  spec.rotary = shape.rotary;
  spec.learned_input_positions_too = shape.learned_input_positions_too;
  spec.position_offset = shape.position_offset;
  spec.word_embeddings = arena.take({shape.vocab, h}, 0.0f, kStd);
  spec.position_embeddings = arena.take({shape.positions, h}, 0.0f, kStd);
  if (shape.token_types > 0)
    spec.token_type_embeddings = arena.take({shape.token_types, h}, 0.0f, kStd);
  spec.embedding_norm_weight = arena.take({h}, 1.0f, kStd);
  spec.embedding_norm_bias = arena.take({h}, 0.0f, kStd);
  spec.relative_buckets = buckets;
  spec.relative_attention_bias = arena.take({buckets.num_buckets, shape.heads}, 0.0f, kStd);
  for (int64_t l = 0; l < shape.layers; ++l) {
    LayerWeights layer;
    for (auto* weight : {&layer.query_weight, &layer.key_weight, &layer.value_weight,
                         &layer.attention_output_weight})
      *weight = arena.take({h, h}, 0.0f, kStd);
    if (shape.attention_biases) {
      for (auto* bias :
           {&layer.query_bias, &layer.key_bias, &layer.value_bias, &layer.attention_output_bias})
        *bias = arena.take({h}, 0.0f, kStd);
    }
    layer.attention_norm_bias = arena.take({h}, 0.0f, kStd);
    layer.ffn_norm_bias = arena.take({h}, 0.0f, kStd);
    if (shape.ffn_output_bias) layer.ffn_output_bias = arena.take({h}, 0.0f, kStd);
    layer.attention_norm_weight = arena.take({h}, 1.0f, kStd);
    layer.ffn_norm_weight = arena.take({h}, 1.0f, kStd);
    layer.ffn_input_weight = arena.take({f, h}, 0.0f, kStd);
    if (shape.ffn_input_biases) layer.ffn_input_bias = arena.take({f}, 0.0f, kStd);
    if (shape.gated) {
      layer.ffn_gate_weight = arena.take({f, h}, 0.0f, kStd);
      if (shape.ffn_input_biases) layer.ffn_gate_bias = arena.take({f}, 0.0f, kStd);
    }
    layer.ffn_output_weight = arena.take({h, f}, 0.0f, kStd);
    layer.distance_embedding = arena.take({distances, head_dim}, 0.0f, kStd);
    spec.layers.push_back(layer);
  }
  spec.storage = storage;
  return spec;
}

}  // namespace ordo::cli
