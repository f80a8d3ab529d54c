#include "bert.h"

#include "jina_bert.h"
#include "ordo/error.h"

namespace ordo::models {
namespace {

// Hugging Face's names (absolute, relative_key, relative_key_query), JinaBERT's alibi, and
// ordo's names for the kinds Hugging Face's BERT has no name for.
PositionKind parse_position_embedding_type(const io::JsonFile& config) {
  const std::string name = config.string("position_embedding_type", "absolute");
  if (name == "absolute") return PositionKind::learned;
  if (name != "learned") {
    try {
      return parse_position_kind(name);
    } catch (const Error&) {
    }
  }
  config.fail("position_embedding_type", "has unsupported value \"" + name +
                                             "\" (supported: absolute, " + position_kind_names() +
                                             ")");
}

RotarySettings read_rotary(const io::JsonFile& config, bool used) {
  RotarySettings rotary;
  rotary.base = config.number("rotary_emb_base", rotary.base);
  rotary.fraction = config.number("rotary_emb_fraction", rotary.fraction);
  rotary.interleaved = config.boolean("rotary_emb_interleaved", rotary.interleaved);
  if (used && !(rotary.base > 0.0)) config.fail("rotary_emb_base", "must be positive");
  if (used && !(rotary.fraction > 0.0 && rotary.fraction <= 1.0)) {
    config.fail("rotary_emb_fraction", "must be in (0, 1]");
  }
  return rotary;
}

RelativeBucketSettings read_relative_buckets(const io::JsonFile& config, bool used) {
  RelativeBucketSettings buckets;
  buckets.num_buckets = config.integer("relative_attention_num_buckets", buckets.num_buckets);
  buckets.max_distance = config.integer("relative_attention_max_distance", buckets.max_distance);
  if (used && (buckets.num_buckets < 4 || buckets.num_buckets > 4096)) {
    config.fail("relative_attention_num_buckets", "must be between 4 and 4096");
  }
  if (used &&
      (buckets.max_distance <= buckets.num_buckets / 4 || buckets.max_distance > kMaxPositions)) {
    config.fail("relative_attention_max_distance",
                "must exceed relative_attention_num_buckets / 4 and be at most " +
                    std::to_string(kMaxPositions));
  }
  return buckets;
}

std::string find_prefix(const Checkpoint& checkpoint, const BertLayout& layout) {
  for (const std::string& prefix : layout.prefixes) {
    if (checkpoint.contains(prefix + "embeddings.word_embeddings.weight")) return prefix;
  }
  return layout.prefixes.back();  // the missing tensor is then reported under this name
}

}  // namespace

EncoderSpec load_bert_encoder(const Checkpoint& checkpoint, const io::JsonFile& config,
                              const BertLayout& layout) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "hidden_size", kMaxHidden);
  const int64_t layers = positive_field(config, "num_hidden_layers", kMaxLayers);
  read_bert_fields(config, "gelu", spec);
  spec.position_kind = parse_position_embedding_type(config);
  spec.position_offset = layout.position_offset;
  spec.rotary = read_rotary(config, spec.position_kind == PositionKind::rotary);
  spec.relative_buckets =
      read_relative_buckets(config, spec.position_kind == PositionKind::relative_bias);
  spec.norm_placement =
      config.boolean("ordo_pre_layer_norm", false) ? NormPlacement::pre : NormPlacement::post;

  const std::string prefix = find_prefix(checkpoint, layout);
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  auto norm = [&](const std::string& base, TensorView& weight, TensorView& bias) {
    load_norm(checkpoint, base, h, weight, bias);
  };

  const std::string embeddings = prefix + "embeddings.";
  spec.position_weight_names = {
      embeddings + "position_embeddings.weight",
      prefix + "encoder.layer.{}.attention.self.distance_embedding.weight",
      prefix + "encoder.relative_attention_bias.weight"};
  spec.word_embeddings =
      checkpoint.tensor(embeddings + "word_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  // Every position table the checkpoint has is loaded, whatever its own kind, so that --pe can
  // run it under another kind whose weights are there (HF BERT always stores a learned table).
  const bool learned = spec.position_kind == PositionKind::learned;
  const int64_t positions =
      learned ? positive_field(config, "max_position_embeddings", kMaxPositions)
              : positive_field(config, "max_position_embeddings", kMaxPositions, 512);
  const std::string positions_why = "max_position_embeddings " + std::to_string(positions);
  if (learned || checkpoint.contains(spec.position_weight_names.position_embeddings)) {
    if (positions <= layout.position_offset) {
      config.fail("max_position_embeddings",
                  "(" + std::to_string(positions) + ") leaves no position after the offset " +
                      std::to_string(layout.position_offset) + " (pad_token_id + 1)");
    }
    spec.position_embeddings = checkpoint.tensor(spec.position_weight_names.position_embeddings,
                                                 {positions, h}, positions_why + ", " + hidden_why);
  }
  const std::string& bias_name = spec.position_weight_names.relative_attention_bias;
  if (spec.position_kind == PositionKind::relative_bias || checkpoint.contains(bias_name)) {
    spec.relative_attention_bias = checkpoint.tensor(
        bias_name, {spec.relative_buckets.num_buckets, spec.num_heads},
        "relative_attention_num_buckets " + std::to_string(spec.relative_buckets.num_buckets) +
            ", num_attention_heads " + std::to_string(spec.num_heads));
  }
  const bool relative_keys = spec.position_kind == PositionKind::relative_key ||
                             spec.position_kind == PositionKind::relative_key_query;
  const int64_t types = config.integer("type_vocab_size", 2);
  if (types < 0 || types > 1024) config.fail("type_vocab_size", "must be between 0 and 1024");
  if (types > 0) {
    spec.token_type_embeddings =
        checkpoint.tensor(embeddings + "token_type_embeddings.weight", {types, h},
                          "type_vocab_size " + std::to_string(types));
  }
  norm(embeddings + "LayerNorm", spec.embedding_norm_weight, spec.embedding_norm_bias);

  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "encoder.layer." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    const std::string ffn_why = "intermediate_size " + std::to_string(f) + ", " + why;
    LayerWeights w;
    load_linear(checkpoint, layer + "attention.self.query", h, h, why, w.query_weight,
                w.query_bias);
    load_linear(checkpoint, layer + "attention.self.key", h, h, why, w.key_weight, w.key_bias);
    load_linear(checkpoint, layer + "attention.self.value", h, h, why, w.value_weight,
                w.value_bias);
    load_linear(checkpoint, layer + "attention.output.dense", h, h, why, w.attention_output_weight,
                w.attention_output_bias);
    norm(layer + "attention.output.LayerNorm", w.attention_norm_weight, w.attention_norm_bias);
    if (layout.feed_forward) {
      layout.feed_forward(layer, ffn_why, w);
    } else {
      load_linear(checkpoint, layer + "intermediate.dense", f, h, ffn_why, w.ffn_input_weight,
                  w.ffn_input_bias);
      load_linear(checkpoint, layer + "output.dense", h, f, ffn_why, w.ffn_output_weight,
                  w.ffn_output_bias);
      norm(layer + "output.LayerNorm", w.ffn_norm_weight, w.ffn_norm_bias);
    }
    const std::string distance = layer + "attention.self.distance_embedding.weight";
    if (relative_keys || checkpoint.contains(distance)) {
      w.distance_embedding =
          checkpoint.tensor(distance, {2 * positions - 1, h / spec.num_heads},
                            positions_why + ", num_attention_heads " +
                                std::to_string(spec.num_heads) + ", " + hidden_why);
    }
    spec.layers.push_back(w);
  }
  if (spec.norm_placement == NormPlacement::pre) {
    norm(prefix + "encoder.final_layer_norm", spec.final_norm_weight, spec.final_norm_bias);
  }
  // BertPooler / RobertaPooler (--pooling pooler), when the checkpoint has it.
  if (checkpoint.contains(prefix + "pooler.dense.weight")) {
    load_linear(checkpoint, prefix + "pooler.dense", h, h, hidden_why, spec.pooler_weight,
                spec.pooler_bias);
  }
  spec.storage = checkpoint.storage();
  return spec;
}

EncoderSpec load_bert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  if (is_jina_bert(config)) return load_jina_bert(checkpoint, config);
  EncoderSpec spec = load_bert_encoder(checkpoint, config, BertLayout{{"bert.", ""}, 0, {}});
  load_bert_masked_lm_head(checkpoint, spec.activation, spec);
  return spec;
}

void load_bert_masked_lm_head(const Checkpoint& checkpoint, Activation activation,
                              EncoderSpec& spec) {
  // The decoder is usually tied to the word embeddings and then not stored.
  if (checkpoint.contains("cls.predictions.transform.dense.weight")) {
    const int64_t h = spec.hidden_size;
    const std::string hidden_why = "hidden_size " + std::to_string(h);
    MaskedLmHead head;
    head.activation = activation;
    load_linear(checkpoint, "cls.predictions.transform.dense", h, h, hidden_why, head.dense_weight,
                head.dense_bias);
    load_norm(checkpoint, "cls.predictions.transform.LayerNorm", h, head.norm_weight,
              head.norm_bias);
    const std::string vocab_why = "vocab_size " + std::to_string(spec.vocab_size);
    if (checkpoint.contains("cls.predictions.decoder.weight")) {
      head.decoder_weight =
          checkpoint.tensor("cls.predictions.decoder.weight", {spec.vocab_size, h}, vocab_why);
    }
    const std::string bias = checkpoint.contains("cls.predictions.bias")
                                 ? "cls.predictions.bias"
                                 : "cls.predictions.decoder.bias";
    head.decoder_bias = checkpoint.tensor(bias, {spec.vocab_size}, vocab_why);
    spec.masked_lm_head = head;
  }
}

}  // namespace ordo::models
