#include "distilbert.h"

namespace ordo::models {

EncoderSpec load_distilbert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "dim", kMaxHidden);
  const int64_t layers = positive_field(config, "n_layers", kMaxLayers);
  spec.num_heads = positive_field(config, "n_heads", kMaxHidden);
  spec.intermediate_size = positive_field(config, "hidden_dim", 16 * kMaxHidden);
  spec.vocab_size = positive_field(config, "vocab_size", kMaxVocabulary);
  check_heads_divide(config, "n_heads", spec.num_heads, "dim", spec.hidden_size);
  spec.activation = parse_activation(config, "activation", "gelu");
  spec.layer_norm_eps = 1e-12f;
  spec.position_kind = config.boolean("sinusoidal_pos_embds", false) ? PositionKind::sinusoidal
                                                                     : PositionKind::learned;

  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string prefix =
      checkpoint.contains("distilbert.embeddings.word_embeddings.weight") ? "distilbert." : "";
  const std::string hidden_why = "dim " + std::to_string(h);
  spec.word_embeddings =
      checkpoint.tensor(prefix + "embeddings.word_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  if (spec.position_kind == PositionKind::learned) {
    const int64_t positions = positive_field(config, "max_position_embeddings", kMaxPositions);
    spec.position_embeddings = checkpoint.tensor(
        prefix + "embeddings.position_embeddings.weight", {positions, h},
        "max_position_embeddings " + std::to_string(positions) + ", " + hidden_why);
  }
  load_norm(checkpoint, prefix + "embeddings.LayerNorm", h, spec.embedding_norm_weight,
            spec.embedding_norm_bias);

  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "transformer.layer." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    const std::string ffn_why = "hidden_dim " + std::to_string(f) + ", " + why;
    LayerWeights w;
    load_linear(checkpoint, layer + "attention.q_lin", h, h, why, w.query_weight, w.query_bias);
    load_linear(checkpoint, layer + "attention.k_lin", h, h, why, w.key_weight, w.key_bias);
    load_linear(checkpoint, layer + "attention.v_lin", h, h, why, w.value_weight, w.value_bias);
    load_linear(checkpoint, layer + "attention.out_lin", h, h, why, w.attention_output_weight,
                w.attention_output_bias);
    load_norm(checkpoint, layer + "sa_layer_norm", h, w.attention_norm_weight,
              w.attention_norm_bias);
    load_linear(checkpoint, layer + "ffn.lin1", f, h, ffn_why, w.ffn_input_weight,
                w.ffn_input_bias);
    load_linear(checkpoint, layer + "ffn.lin2", h, f, ffn_why, w.ffn_output_weight,
                w.ffn_output_bias);
    load_norm(checkpoint, layer + "output_layer_norm", h, w.ffn_norm_weight, w.ffn_norm_bias);
    spec.layers.push_back(w);
  }
  // DistilBertForMaskedLM: vocab_transform -> activation -> vocab_layer_norm -> vocab_projector
  // (tied to the word embeddings unless stored).
  if (checkpoint.contains("vocab_transform.weight")) {
    MaskedLmHead head;
    head.activation = spec.activation;
    load_linear(checkpoint, "vocab_transform", h, h, hidden_why, head.dense_weight,
                head.dense_bias);
    load_norm(checkpoint, "vocab_layer_norm", h, head.norm_weight, head.norm_bias);
    const std::string vocab_why = "vocab_size " + std::to_string(spec.vocab_size);
    if (checkpoint.contains("vocab_projector.weight")) {
      head.decoder_weight =
          checkpoint.tensor("vocab_projector.weight", {spec.vocab_size, h}, vocab_why);
    }
    head.decoder_bias = checkpoint.tensor("vocab_projector.bias", {spec.vocab_size}, vocab_why);
    spec.masked_lm_head = head;
  }
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
