#include "bert.h"

#include "ordo/error.h"

namespace ordo::models {
namespace {

// Limits far above any real encoder; they exist so that a hostile config fails fast.
constexpr int64_t kMaxHidden = 1 << 16;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxVocabulary = 1 << 24;
constexpr int64_t kMaxPositions = 1 << 20;

PositionKind parse_position_embedding_type(const io::JsonFile& config) {
  const std::string name = config.string("position_embedding_type", "absolute");
  if (name == "absolute") return PositionKind::learned;
  if (name == "sinusoidal") return PositionKind::sinusoidal;
  if (name == "sinusoidal-blocked") return PositionKind::sinusoidal_blocked;
  if (name == "none") return PositionKind::none;
  config.fail("position_embedding_type",
              "has unsupported value \"" + name +
                  "\" (supported: absolute, sinusoidal, sinusoidal-blocked, none)");
}

// Old TF-converted checkpoints call LayerNorm parameters gamma/beta.
std::string norm_name(const Checkpoint& checkpoint, const std::string& base, bool weight) {
  std::string modern = base + (weight ? ".weight" : ".bias");
  if (checkpoint.contains(modern)) return modern;
  const std::string legacy = base + (weight ? ".gamma" : ".beta");
  return checkpoint.contains(legacy) ? legacy : modern;
}

}  // namespace

EncoderSpec load_bert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "hidden_size", kMaxHidden);
  const int64_t layers = positive_field(config, "num_hidden_layers", kMaxLayers);
  spec.num_heads = positive_field(config, "num_attention_heads", kMaxHidden);
  spec.intermediate_size = positive_field(config, "intermediate_size", 16 * kMaxHidden);
  spec.vocab_size = positive_field(config, "vocab_size", kMaxVocabulary);
  if (spec.hidden_size % spec.num_heads != 0) {
    config.fail("num_attention_heads", "(" + std::to_string(spec.num_heads) +
                                           ") must divide hidden_size (" +
                                           std::to_string(spec.hidden_size) + ")");
  }
  spec.activation = parse_activation(config, "hidden_act", "gelu");
  const double eps = config.number("layer_norm_eps", 1e-12);
  if (!(eps > 0.0 && eps < 1.0)) config.fail("layer_norm_eps", "must be in (0, 1)");
  spec.layer_norm_eps = static_cast<float>(eps);
  // The engine computes in float: 1e-121 passes the check above and then is 0 (found by
  // fuzz/config.cpp), which the engine would reject without naming the config.
  if (!(spec.layer_norm_eps > 0.0f)) {
    config.fail("layer_norm_eps", "(" + config.document().at("layer_norm_eps").dump() +
                                      ") is 0 as a float; it must be at least 1.4e-45");
  }
  spec.position_kind = parse_position_embedding_type(config);
  spec.norm_placement =
      config.boolean("ordo_pre_layer_norm", false) ? NormPlacement::pre : NormPlacement::post;

  const std::string prefix =
      checkpoint.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  auto vector = [&](const std::string& name) { return checkpoint.tensor(name, {h}, hidden_why); };
  auto norm = [&](const std::string& base, TensorView& weight, TensorView& bias) {
    weight = vector(norm_name(checkpoint, base, true));
    bias = vector(norm_name(checkpoint, base, false));
  };

  const std::string embeddings = prefix + "embeddings.";
  spec.word_embeddings =
      checkpoint.tensor(embeddings + "word_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  if (spec.position_kind == PositionKind::learned) {
    const int64_t positions = positive_field(config, "max_position_embeddings", kMaxPositions);
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
    const std::string square_why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    auto square = [&](const std::string& name) {
      return checkpoint.tensor(name, {h, h}, square_why);
    };
    LayerWeights w;
    w.query_weight = square(layer + "attention.self.query.weight");
    w.query_bias = vector(layer + "attention.self.query.bias");
    w.key_weight = square(layer + "attention.self.key.weight");
    w.key_bias = vector(layer + "attention.self.key.bias");
    w.value_weight = square(layer + "attention.self.value.weight");
    w.value_bias = vector(layer + "attention.self.value.bias");
    w.attention_output_weight = square(layer + "attention.output.dense.weight");
    w.attention_output_bias = vector(layer + "attention.output.dense.bias");
    norm(layer + "attention.output.LayerNorm", w.attention_norm_weight, w.attention_norm_bias);
    const std::string ffn_why = "intermediate_size " + std::to_string(f) + ", " + square_why;
    w.ffn_input_weight = checkpoint.tensor(layer + "intermediate.dense.weight", {f, h}, ffn_why);
    w.ffn_input_bias = checkpoint.tensor(layer + "intermediate.dense.bias", {f}, ffn_why);
    w.ffn_output_weight = checkpoint.tensor(layer + "output.dense.weight", {h, f}, ffn_why);
    w.ffn_output_bias = vector(layer + "output.dense.bias");
    norm(layer + "output.LayerNorm", w.ffn_norm_weight, w.ffn_norm_bias);
    spec.layers.push_back(w);
  }
  if (spec.norm_placement == NormPlacement::pre) {
    norm(prefix + "encoder.final_layer_norm", spec.final_norm_weight, spec.final_norm_bias);
  }
  // BertForMaskedLM's head, when the checkpoint has one; the decoder is usually tied to the
  // word embeddings and then not stored.
  if (checkpoint.contains("cls.predictions.transform.dense.weight")) {
    MaskedLmHead head;
    head.activation = spec.activation;
    head.dense_weight =
        checkpoint.tensor("cls.predictions.transform.dense.weight", {h, h}, hidden_why);
    head.dense_bias = vector("cls.predictions.transform.dense.bias");
    norm("cls.predictions.transform.LayerNorm", head.norm_weight, head.norm_bias);
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
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
