#include "bert.h"

#include "ordo/error.h"

namespace ordo::models {
namespace {

PositionKind parse_position_embedding_type(const io::JsonFile& config) {
  const std::string name = config.string("position_embedding_type", "absolute");
  if (name == "absolute") return PositionKind::learned;
  if (name == "sinusoidal") return PositionKind::sinusoidal;
  if (name == "sinusoidal-blocked") return PositionKind::sinusoidal_blocked;
  if (name == "none") return PositionKind::none;
  config.fail("position_embedding_type",
              "has unsupported value \"" + name +
                  "\" (supported: absolute, sinusoidal, sinusoidal-blocked, none; relative_key "
                  "and relative_key_query are not implemented)");
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
  spec.num_heads = positive_field(config, "num_attention_heads", kMaxHidden);
  spec.intermediate_size = positive_field(config, "intermediate_size", 16 * kMaxHidden);
  spec.vocab_size = positive_field(config, "vocab_size", kMaxVocabulary);
  check_heads_divide(config, "num_attention_heads", spec.num_heads, "hidden_size",
                     spec.hidden_size);
  spec.activation = parse_activation(config, "hidden_act", "gelu");
  spec.layer_norm_eps = layer_norm_eps(config, "layer_norm_eps", 1e-12);
  spec.position_kind = parse_position_embedding_type(config);
  spec.position_offset = layout.position_offset;
  spec.norm_placement =
      config.boolean("ordo_pre_layer_norm", false) ? NormPlacement::pre : NormPlacement::post;

  const std::string prefix = find_prefix(checkpoint, layout);
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  auto norm = [&](const std::string& base, TensorView& weight, TensorView& bias) {
    load_norm(checkpoint, base, h, weight, bias);
  };

  const std::string embeddings = prefix + "embeddings.";
  spec.word_embeddings =
      checkpoint.tensor(embeddings + "word_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  if (spec.position_kind == PositionKind::learned) {
    const int64_t positions = positive_field(config, "max_position_embeddings", kMaxPositions);
    if (positions <= layout.position_offset) {
      config.fail("max_position_embeddings",
                  "(" + std::to_string(positions) + ") leaves no position after the offset " +
                      std::to_string(layout.position_offset) + " (pad_token_id + 1)");
    }
    spec.position_embeddings = checkpoint.tensor(
        embeddings + "position_embeddings.weight", {positions, h},
        "max_position_embeddings " + std::to_string(positions) + ", " + hidden_why);
  }
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
    load_linear(checkpoint, layer + "intermediate.dense", f, h, ffn_why, w.ffn_input_weight,
                w.ffn_input_bias);
    load_linear(checkpoint, layer + "output.dense", h, f, ffn_why, w.ffn_output_weight,
                w.ffn_output_bias);
    norm(layer + "output.LayerNorm", w.ffn_norm_weight, w.ffn_norm_bias);
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
  EncoderSpec spec = load_bert_encoder(checkpoint, config, BertLayout{{"bert.", ""}, 0});
  // BertForMaskedLM's head, when the checkpoint has one; the decoder is usually tied to the
  // word embeddings and then not stored.
  if (checkpoint.contains("cls.predictions.transform.dense.weight")) {
    const int64_t h = spec.hidden_size;
    const std::string hidden_why = "hidden_size " + std::to_string(h);
    MaskedLmHead head;
    head.activation = spec.activation;
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
  return spec;
}

}  // namespace ordo::models
