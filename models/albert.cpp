#include "albert.h"

namespace ordo::models {

EncoderSpec load_albert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "hidden_size", kMaxHidden);
  spec.embedding_size = positive_field(config, "embedding_size", kMaxHidden);
  const int64_t layers = positive_field(config, "num_hidden_layers", kMaxLayers);
  const int64_t groups = positive_field(config, "num_hidden_groups", kMaxLayers, 1);
  const int64_t inner = positive_field(config, "inner_group_num", kMaxLayers, 1);
  if (groups > layers)
    config.fail("num_hidden_groups", "(" + std::to_string(groups) +
                                         ") exceeds num_hidden_layers (" + std::to_string(layers) +
                                         ")");
  if (layers * inner > kMaxLayers)
    config.fail("inner_group_num", "times num_hidden_layers exceeds " + std::to_string(kMaxLayers));
  read_bert_fields(config, "gelu_new", spec);
  const std::string position_type = config.string("position_embedding_type", "absolute");
  if (position_type != "absolute")
    config.fail("position_embedding_type",
                "has unsupported value \"" + position_type + "\" (supported: absolute)");
  spec.position_kind = PositionKind::learned;

  const int64_t h = spec.hidden_size, e = spec.embedding_size, f = spec.intermediate_size;
  const std::string prefix =
      checkpoint.contains("albert.embeddings.word_embeddings.weight") ? "albert." : "";
  const std::string e_why = "embedding_size " + std::to_string(e);
  const std::string embeddings = prefix + "embeddings.";
  spec.word_embeddings =
      checkpoint.tensor(embeddings + "word_embeddings.weight", {spec.vocab_size, e},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + e_why);
  const int64_t positions = positive_field(config, "max_position_embeddings", kMaxPositions);
  spec.position_embeddings =
      checkpoint.tensor(embeddings + "position_embeddings.weight", {positions, e},
                        "max_position_embeddings " + std::to_string(positions) + ", " + e_why);
  const int64_t types = config.integer("type_vocab_size", 2);
  if (types < 0 || types > 1024) config.fail("type_vocab_size", "must be between 0 and 1024");
  if (types > 0)
    spec.token_type_embeddings =
        checkpoint.tensor(embeddings + "token_type_embeddings.weight", {types, e},
                          "type_vocab_size " + std::to_string(types));
  load_norm(checkpoint, embeddings + "LayerNorm", e, spec.embedding_norm_weight,
            spec.embedding_norm_bias);
  load_linear(checkpoint, prefix + "encoder.embedding_hidden_mapping_in", h, e,
              "hidden_size " + std::to_string(h) + ", " + e_why, spec.embedding_projection_weight,
              spec.embedding_projection_bias);

  // Each group's layers, read once; the applications below share their views.
  std::vector<std::vector<LayerWeights>> group_layers(static_cast<size_t>(groups));
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t k = 0; k < inner; ++k) {
      const std::string layer = prefix + "encoder.albert_layer_groups." + std::to_string(g) +
                                ".albert_layers." + std::to_string(k) + ".";
      const std::string why = "hidden_size " + std::to_string(h) + ", group " + std::to_string(g) +
                              " layer " + std::to_string(k);
      const std::string ffn_why = "intermediate_size " + std::to_string(f) + ", " + why;
      LayerWeights w;
      load_linear(checkpoint, layer + "attention.query", h, h, why, w.query_weight, w.query_bias);
      load_linear(checkpoint, layer + "attention.key", h, h, why, w.key_weight, w.key_bias);
      load_linear(checkpoint, layer + "attention.value", h, h, why, w.value_weight, w.value_bias);
      load_linear(checkpoint, layer + "attention.dense", h, h, why, w.attention_output_weight,
                  w.attention_output_bias);
      load_norm(checkpoint, layer + "attention.LayerNorm", h, w.attention_norm_weight,
                w.attention_norm_bias);
      load_linear(checkpoint, layer + "ffn", f, h, ffn_why, w.ffn_input_weight, w.ffn_input_bias);
      load_linear(checkpoint, layer + "ffn_output", h, f, ffn_why, w.ffn_output_weight,
                  w.ffn_output_bias);
      load_norm(checkpoint, layer + "full_layer_layer_norm", h, w.ffn_norm_weight, w.ffn_norm_bias);
      group_layers[static_cast<size_t>(g)].push_back(w);
    }
  }
  // The layer where each group's k-th layer is applied first; later applications share it.
  std::vector<std::vector<size_t>> first_application(static_cast<size_t>(groups));
  for (int64_t i = 0; i < layers; ++i) {
    // group_idx = int(i / (num_hidden_layers / num_hidden_groups)), in floating point as there.
    const auto group = static_cast<size_t>(
        static_cast<double>(i) / (static_cast<double>(layers) / static_cast<double>(groups)));
    std::vector<size_t>& first = first_application[group];
    for (size_t k = 0; k < group_layers[group].size(); ++k) {
      if (first.size() == k) first.push_back(spec.layers.size());
      spec.shares_weights_of.push_back(first[k]);
      spec.layers.push_back(group_layers[group][k]);
    }
  }
  // AlbertForMaskedLM's head (AlbertMLMHead: dense to embedding_size, hidden_act, LayerNorm,
  // decoder tied to the word embeddings) and AlbertModel's pooler (tanh(dense(first token))),
  // when the checkpoint has them.
  if (checkpoint.contains("predictions.dense.weight")) {
    MaskedLmHead head;
    head.activation = spec.activation;
    load_linear(checkpoint, "predictions.dense", e, h, e_why, head.dense_weight, head.dense_bias);
    load_norm(checkpoint, "predictions.LayerNorm", e, head.norm_weight, head.norm_bias);
    const std::string vocab_why = "vocab_size " + std::to_string(spec.vocab_size) + ", " + e_why;
    if (checkpoint.contains("predictions.decoder.weight")) {
      head.decoder_weight =
          checkpoint.tensor("predictions.decoder.weight", {spec.vocab_size, e}, vocab_why);
    }
    head.decoder_bias = checkpoint.tensor("predictions.bias", {spec.vocab_size}, vocab_why);
    spec.masked_lm_head = head;
  }
  if (checkpoint.contains(prefix + "pooler.weight")) {
    load_linear(checkpoint, prefix + "pooler", h, h, "hidden_size " + std::to_string(h),
                spec.pooler_weight, spec.pooler_bias);
  }
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
