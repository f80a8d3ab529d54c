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

}  // namespace

const std::vector<SyntheticShape>& synthetic_shapes() {
  static const std::vector<SyntheticShape> shapes = {
      {"minilm", 6, 384, 12, 1536, 30522, 512},
      {"bert-base", 12, 768, 12, 3072, 30522, 512},
      {"modernbert-base", 22, 768, 12, 1152, 50368, 0, 3, 64, false},
      {"modernbert-base-global", 22, 768, 12, 1152, 50368, 0, 1, 0, false},
  };
  return shapes;
}

const SyntheticShape& synthetic_shape(const std::string& name) {
  for (const SyntheticShape& shape : synthetic_shapes())
    if (shape.name == name) return shape;
  throw UsageError("--shape: unknown shape '" + name +
                   "' (expected minilm, bert-base, modernbert-base or modernbert-base-global)");
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
  spec.position_kind = PositionKind::rotary;
  spec.rotary.base = 160000.0;
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
      layer.rotary_base = 10000.0;
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
  const int64_t per_layer = 4 * h * h + 2 * h * f + 9 * h + f + distances * head_dim;
  const int64_t total = (shape.vocab + shape.positions + 2 + 2) * h +
                        buckets.num_buckets * shape.heads + shape.layers * per_layer;
  auto storage = std::make_shared<std::vector<float>>(static_cast<size_t>(total));
  Arena arena(storage, seed);
  constexpr float kStd = 0.02f;

  EncoderSpec spec;
  spec.hidden_size = h;
  spec.num_heads = shape.heads;
  spec.intermediate_size = f;
  spec.vocab_size = shape.vocab;
  spec.position_kind = PositionKind::learned;
  spec.word_embeddings = arena.take({shape.vocab, h}, 0.0f, kStd);
  spec.position_embeddings = arena.take({shape.positions, h}, 0.0f, kStd);
  spec.token_type_embeddings = arena.take({2, h}, 0.0f, kStd);
  spec.embedding_norm_weight = arena.take({h}, 1.0f, kStd);
  spec.embedding_norm_bias = arena.take({h}, 0.0f, kStd);
  spec.relative_buckets = buckets;
  spec.relative_attention_bias = arena.take({buckets.num_buckets, shape.heads}, 0.0f, kStd);
  for (int64_t l = 0; l < shape.layers; ++l) {
    LayerWeights layer;
    for (auto* weight : {&layer.query_weight, &layer.key_weight, &layer.value_weight,
                         &layer.attention_output_weight})
      *weight = arena.take({h, h}, 0.0f, kStd);
    for (auto* bias :
         {&layer.query_bias, &layer.key_bias, &layer.value_bias, &layer.attention_output_bias,
          &layer.attention_norm_bias, &layer.ffn_output_bias, &layer.ffn_norm_bias})
      *bias = arena.take({h}, 0.0f, kStd);
    layer.attention_norm_weight = arena.take({h}, 1.0f, kStd);
    layer.ffn_norm_weight = arena.take({h}, 1.0f, kStd);
    layer.ffn_input_weight = arena.take({f, h}, 0.0f, kStd);
    layer.ffn_input_bias = arena.take({f}, 0.0f, kStd);
    layer.ffn_output_weight = arena.take({h, f}, 0.0f, kStd);
    layer.distance_embedding = arena.take({distances, head_dim}, 0.0f, kStd);
    spec.layers.push_back(layer);
  }
  spec.storage = storage;
  return spec;
}

}  // namespace ordo::cli
