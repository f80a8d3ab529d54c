#include "mpnet.h"

#include "roberta.h"

namespace ordo::models {
namespace {

// Hugging Face hard-codes both: MPNetEmbeddings.padding_idx = 1 (positions start at 2), and
// MPNetEncoder.compute_position_bias buckets with its defaults (32 buckets, max distance 128)
// whatever the config says.
constexpr int64_t kPaddingIdx = 1;
constexpr int64_t kBuckets = 32;
constexpr int64_t kMaxDistance = 128;

std::string find_prefix(const Checkpoint& checkpoint) {
  for (const char* prefix : {"mpnet.", ""}) {
    if (checkpoint.contains(std::string(prefix) + "embeddings.word_embeddings.weight")) {
      return prefix;
    }
  }
  return "mpnet.";  // the missing tensor is then reported under this name
}

}  // namespace

EncoderSpec load_mpnet(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "hidden_size", kMaxHidden);
  const int64_t layers = positive_field(config, "num_hidden_layers", kMaxLayers);
  read_bert_fields(config, "gelu", spec);
  const int64_t buckets = config.integer("relative_attention_num_buckets", kBuckets);
  if (buckets != kBuckets) {
    // HF would index this table with 32 buckets anyway; a model trained that way is not one
    // ordo can reproduce by reading the key.
    config.fail("relative_attention_num_buckets",
                "is " + std::to_string(buckets) +
                    "; MPNet buckets distances into 32 whatever the config says, so only 32 "
                    "is supported");
  }
  spec.position_kind = PositionKind::relative_bias;
  spec.relative_buckets.num_buckets = kBuckets;
  spec.relative_buckets.max_distance = kMaxDistance;
  spec.learned_input_positions_too = true;
  spec.position_offset = kPaddingIdx + 1;

  const std::string prefix = find_prefix(checkpoint);
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  const std::string embeddings = prefix + "embeddings.";
  const int64_t positions = positive_field(config, "max_position_embeddings", kMaxPositions);
  if (positions <= spec.position_offset) {
    config.fail("max_position_embeddings",
                "(" + std::to_string(positions) + ") leaves no position after MPNet's offset 2");
  }
  spec.position_weight_names = {embeddings + "position_embeddings.weight",
                                prefix + "encoder.layer.{}.attention.attn.distance_embedding",
                                prefix + "encoder.relative_attention_bias.weight"};
  spec.word_embeddings =
      checkpoint.tensor(embeddings + "word_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  spec.position_embeddings =
      checkpoint.tensor(embeddings + "position_embeddings.weight", {positions, h},
                        "max_position_embeddings " + std::to_string(positions) + ", " + hidden_why);
  spec.relative_attention_bias = checkpoint.tensor(
      prefix + "encoder.relative_attention_bias.weight", {kBuckets, spec.num_heads},
      "32 buckets, num_attention_heads " + std::to_string(spec.num_heads));
  load_norm(checkpoint, embeddings + "LayerNorm", h, spec.embedding_norm_weight,
            spec.embedding_norm_bias);

  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "encoder.layer." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    const std::string ffn_why = "intermediate_size " + std::to_string(f) + ", " + why;
    const std::string attention = layer + "attention.attn.";
    LayerWeights w;
    load_linear(checkpoint, attention + "q", h, h, why, w.query_weight, w.query_bias);
    load_linear(checkpoint, attention + "k", h, h, why, w.key_weight, w.key_bias);
    load_linear(checkpoint, attention + "v", h, h, why, w.value_weight, w.value_bias);
    load_linear(checkpoint, attention + "o", h, h, why, w.attention_output_weight,
                w.attention_output_bias);
    load_norm(checkpoint, layer + "attention.LayerNorm", h, w.attention_norm_weight,
              w.attention_norm_bias);
    load_linear(checkpoint, layer + "intermediate.dense", f, h, ffn_why, w.ffn_input_weight,
                w.ffn_input_bias);
    load_linear(checkpoint, layer + "output.dense", h, f, ffn_why, w.ffn_output_weight,
                w.ffn_output_bias);
    load_norm(checkpoint, layer + "output.LayerNorm", h, w.ffn_norm_weight, w.ffn_norm_bias);
    spec.layers.push_back(w);
  }
  if (checkpoint.contains(prefix + "pooler.dense.weight")) {
    load_linear(checkpoint, prefix + "pooler.dense", h, h, hidden_why, spec.pooler_weight,
                spec.pooler_bias);
  }
  if (checkpoint.contains("lm_head.dense.weight")) load_lm_head(checkpoint, spec);
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
