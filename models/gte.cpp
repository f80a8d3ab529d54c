// GTE-v1.5 / gte-multilingual as their remote code computes it (Alibaba-NLP/new-impl,
// modeling.py: NewModel, NewEmbeddings, NewLayer, NewAttention, NewGatedMLP,
// NTKScalingRotaryEmbedding; configuration.py: NewConfig):
//   x = embeddings.LayerNorm(word[ids] + type[segments])          (types when type_vocab_size > 0)
//   per layer (post-LN): x = attn_ln(x + o_proj(attention(qkv_proj x)));  x = mlp_ln(x + mlp(x))
// with q, k, v the three row blocks of qkv_proj (pack_qkv; else q_proj, k_proj, v_proj), q and
// k rotated over the whole head in NeoX halves (rotate_half), and NewGatedMLP:
//   up, gate = split(up_gate_proj(x), intermediate_size);  mlp = down_proj(up * act(gate))
// up_gate_proj has no bias, every other linear has one.
#include "gte.h"

#include <cmath>

#include "ordo/error.h"

namespace ordo::models {
namespace {

// NewConfig's defaults, for keys a config.json leaves out.
constexpr int64_t kDefaultTypeVocabulary = 1;
constexpr double kDefaultRopeTheta = 10000.0;

// What NewModel computes differently from anything ordo runs: refused by name rather than run
// as something else. (unpad_inputs and use_memory_efficient_attention change how attention is
// computed, not what; logn_attention_clip1 only matters under logn_attention_scale.)
void refuse_unsupported(const io::JsonFile& config) {
  const std::string position = config.string("position_embedding_type", "rope");
  if (position != "rope") {
    config.fail("position_embedding_type",
                "is \"" + position + "\"; ordo runs NewModel with \"rope\" only");
  }
  const std::string norm = config.string("layer_norm_type", "layer_norm");
  if (norm != "layer_norm") {
    config.fail("layer_norm_type",
                "is \"" + norm + "\"; ordo runs NewModel with \"layer_norm\" only (no RMSNorm)");
  }
  if (config.boolean("logn_attention_scale", false)) {
    config.fail("logn_attention_scale",
                "is true: scaling queries by log(length) / log(max_position_embeddings) is not "
                "supported");
  }
  // transformers 5 moves rope_theta into rope_parameters; running at NewConfig's default base
  // instead would be a different model.
  if (!config.has("rope_theta") && config.has("rope_parameters")) {
    config.fail("rope_parameters",
                "is given without rope_theta; ordo reads the rotary base from rope_theta only");
  }
}

// rope_scaling: null, or {"type": "ntk", "factor": f}. NTKScalingRotaryEmbedding builds its
// table for max_position_embeddings x f positions and, since that exceeds
// max_position_embeddings whenever f > 1, always computes
//   inv_freq_i = (base f)^(-2i / dim) / f^(2 / dim)
// ("fixed NTK", kexue.fm/archives/9706 eq. 6): the base times f, every frequency times
// f^(-2 / dim). With f = 1 that is the unscaled rotary.
void read_rope_scaling(const io::JsonFile& config, int64_t head_dim, RotarySettings& rotary) {
  if (!config.has("rope_scaling") || config.document().at("rope_scaling").is_null()) return;
  const nlohmann::json& scaling = config.document().at("rope_scaling");
  if (!scaling.is_object()) config.fail("rope_scaling", "must be an object or null");
  const char* type_key = scaling.contains("type") ? "type" : "rope_type";
  if (!scaling.contains(type_key) || !scaling.at(type_key).is_string()) {
    config.fail("rope_scaling", "needs a \"type\" string");
  }
  const std::string type = scaling.at(type_key).get<std::string>();
  if (type != "ntk") {
    config.fail("rope_scaling",
                "has type \"" + type + "\"; NewModel (and ordo) support \"ntk\" only");
  }
  if (scaling.contains("mixed_b") && !scaling.at("mixed_b").is_null()) {
    config.fail("rope_scaling", "sets mixed_b: mixed NTK scaling is not supported");
  }
  if (!scaling.contains("factor") || !scaling.at("factor").is_number()) {
    config.fail("rope_scaling", "needs a numeric \"factor\"");
  }
  const double factor = scaling.at("factor").get<double>();
  // Below 1, NewModel switches between scaled and unscaled frequencies with the length.
  if (!(factor >= 1.0) || !std::isfinite(factor)) {
    config.fail("rope_scaling", "factor must be a number of at least 1, got " + scaling.dump());
  }
  rotary.base *= factor;
  rotary.frequency_scale = std::pow(factor, -2.0 / static_cast<double>(head_dim));
}

// NewForMaskedLM's NewLMPredictionHead: decoder(norm(act(dense(h)))), act from hidden_act,
// the decoder's weight tied to the word embeddings unless stored.
void load_masked_lm_head(const Checkpoint& checkpoint, EncoderSpec& spec) {
  const int64_t h = spec.hidden_size;
  MaskedLmHead head;
  head.activation = spec.activation;
  load_linear(checkpoint, "lm_head.dense", h, h, "hidden_size " + std::to_string(h),
              head.dense_weight, head.dense_bias);
  load_norm(checkpoint, "lm_head.norm", h, head.norm_weight, head.norm_bias);
  const std::string vocab_why = "vocab_size " + std::to_string(spec.vocab_size);
  if (checkpoint.contains("lm_head.decoder.weight")) {
    head.decoder_weight =
        checkpoint.tensor("lm_head.decoder.weight", {spec.vocab_size, h}, vocab_why);
  }
  head.decoder_bias = checkpoint.tensor("lm_head.decoder.bias", {spec.vocab_size}, vocab_why);
  spec.masked_lm_head = head;
}

}  // namespace

EncoderSpec load_gte(const Checkpoint& checkpoint, const io::JsonFile& config) {
  refuse_unsupported(config);
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "hidden_size", kMaxHidden);
  const int64_t layers = positive_field(config, "num_hidden_layers", kMaxLayers);
  read_bert_fields(config, "gelu", spec);
  spec.norm_placement = NormPlacement::post;
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const int64_t head_dim = h / spec.num_heads;

  spec.position_kind = PositionKind::rotary;
  spec.rotary.base = config.number("rope_theta", kDefaultRopeTheta);
  if (!(spec.rotary.base > 0.0) || !std::isfinite(spec.rotary.base)) {
    config.fail("rope_theta", "must be a positive number");
  }
  spec.rotary.fraction = 1.0;
  spec.rotary.interleaved = false;  // rotate_half: pairs (i, i + dim / 2)
  read_rope_scaling(config, head_dim, spec.rotary);

  // NewForMaskedLM and the task heads keep the encoder under `new.`.
  const std::string prefix =
      checkpoint.contains("new.embeddings.word_embeddings.weight") ? "new." : "";
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  spec.word_embeddings =
      checkpoint.tensor(prefix + "embeddings.word_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  const int64_t types = config.integer("type_vocab_size", kDefaultTypeVocabulary);
  if (types < 0 || types > 1024) config.fail("type_vocab_size", "must be between 0 and 1024");
  if (types > 0) {
    spec.token_type_embeddings =
        checkpoint.tensor(prefix + "embeddings.token_type_embeddings.weight", {types, h},
                          "type_vocab_size " + std::to_string(types) + ", " + hidden_why);
  }
  load_norm(checkpoint, prefix + "embeddings.LayerNorm", h, spec.embedding_norm_weight,
            spec.embedding_norm_bias);

  const bool packed = config.boolean("pack_qkv", true);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "encoder.layer." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    const std::string ffn_why = "intermediate_size " + std::to_string(f) + ", " + why;
    LayerWeights w;
    if (packed) {
      TensorView qkv, qkv_bias;
      load_linear(checkpoint, layer + "attention.qkv_proj", 3 * h, h, why, qkv, qkv_bias);
      w.query_weight = rows_of(qkv, 0, h);
      w.key_weight = rows_of(qkv, h, h);
      w.value_weight = rows_of(qkv, 2 * h, h);
      w.query_bias = TensorView{qkv_bias.data, {h}};
      w.key_bias = TensorView{qkv_bias.data + h, {h}};
      w.value_bias = TensorView{qkv_bias.data + 2 * h, {h}};
    } else {
      load_linear(checkpoint, layer + "attention.q_proj", h, h, why, w.query_weight, w.query_bias);
      load_linear(checkpoint, layer + "attention.k_proj", h, h, why, w.key_weight, w.key_bias);
      load_linear(checkpoint, layer + "attention.v_proj", h, h, why, w.value_weight, w.value_bias);
    }
    load_linear(checkpoint, layer + "attention.o_proj", h, h, why, w.attention_output_weight,
                w.attention_output_bias);
    load_norm(checkpoint, layer + "attn_ln", h, w.attention_norm_weight, w.attention_norm_bias);
    // torch.split(up_gate, intermediate_size): the up projection first, then the gate.
    const TensorView up_gate =
        checkpoint.tensor(layer + "mlp.up_gate_proj.weight", {2 * f, h}, "2 x " + ffn_why);
    w.ffn_input_weight = rows_of(up_gate, 0, f);
    w.ffn_gate_weight = rows_of(up_gate, f, f);
    load_linear(checkpoint, layer + "mlp.down_proj", h, f, ffn_why, w.ffn_output_weight,
                w.ffn_output_bias);
    load_norm(checkpoint, layer + "mlp_ln", h, w.ffn_norm_weight, w.ffn_norm_bias);
    spec.layers.push_back(w);
  }
  if (checkpoint.contains("lm_head.dense.weight")) load_masked_lm_head(checkpoint, spec);
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
