#include "marian.h"

#include <cmath>

namespace ordo::models {

EncoderSpec load_marian(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "d_model", kMaxHidden);
  const int64_t layers = positive_field(config, "encoder_layers", kMaxLayers);
  spec.num_heads = positive_field(config, "encoder_attention_heads", kMaxHidden);
  spec.intermediate_size = positive_field(config, "encoder_ffn_dim", 16 * kMaxHidden);
  spec.vocab_size = positive_field(config, "vocab_size", kMaxVocabulary);
  check_heads_divide(config, "encoder_attention_heads", spec.num_heads, "d_model",
                     spec.hidden_size);
  spec.activation = parse_activation(config, "activation_function", "swish");
  spec.layer_norm_eps = 1e-5f;
  spec.position_kind = PositionKind::sinusoidal_blocked;
  if (config.boolean("normalize_before", false)) {
    config.fail("normalize_before", "is true: pre-LN Marian/BART variants are not supported");
  }
  if (config.boolean("scale_embedding", false)) {
    spec.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(spec.hidden_size)));
  }

  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string prefix = checkpoint.contains("model.shared.weight") ||
                                     checkpoint.contains("model.encoder.layers.0.fc1.weight")
                                 ? "model."
                                 : "";
  const std::string hidden_why = "d_model " + std::to_string(h);
  const std::string own = prefix + "encoder.embed_tokens.weight";
  spec.word_embeddings = checkpoint.tensor(
      checkpoint.contains(own) ? own : prefix + "shared.weight", {spec.vocab_size, h},
      "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);

  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "encoder.layers." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    const std::string ffn_why = "encoder_ffn_dim " + std::to_string(f) + ", " + why;
    LayerWeights w;
    load_linear(checkpoint, layer + "self_attn.q_proj", h, h, why, w.query_weight, w.query_bias);
    load_linear(checkpoint, layer + "self_attn.k_proj", h, h, why, w.key_weight, w.key_bias);
    load_linear(checkpoint, layer + "self_attn.v_proj", h, h, why, w.value_weight, w.value_bias);
    load_linear(checkpoint, layer + "self_attn.out_proj", h, h, why, w.attention_output_weight,
                w.attention_output_bias);
    load_norm(checkpoint, layer + "self_attn_layer_norm", h, w.attention_norm_weight,
              w.attention_norm_bias);
    load_linear(checkpoint, layer + "fc1", f, h, ffn_why, w.ffn_input_weight, w.ffn_input_bias);
    load_linear(checkpoint, layer + "fc2", h, f, ffn_why, w.ffn_output_weight, w.ffn_output_bias);
    load_norm(checkpoint, layer + "final_layer_norm", h, w.ffn_norm_weight, w.ffn_norm_bias);
    spec.layers.push_back(w);
  }
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
