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
  };
  return shapes;
}

const SyntheticShape& synthetic_shape(const std::string& name) {
  for (const SyntheticShape& shape : synthetic_shapes())
    if (shape.name == name) return shape;
  throw UsageError("--shape: unknown shape '" + name + "' (expected minilm or bert-base)");
}

EncoderSpec synthetic_spec(const SyntheticShape& shape, uint64_t seed) {
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
