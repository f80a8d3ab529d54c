// ModernBERT (Warner et al. 2024) as Hugging Face transformers computes it
// (src/transformers/models/modernbert/modeling_modernbert.py: ModernBertModel,
// ModernBertForMaskedLM; configuration_modernbert.py for the keys and their defaults):
//   x = norm(tok_embeddings[ids])                     no position table, no token types
//   per layer l (pre-LN):
//     x = x + attn.Wo(attention(attn.Wqkv(attn_norm(x))))    layer 0's attn_norm: nn.Identity
//     x = x + mlp.Wo(act(a) * g)  with [a | g] = mlp.Wi(mlp_norm(x)), a the FIRST half
//   last_hidden_state = final_norm(x)
// q, k, v are Wqkv's three row blocks; q and k rotate over the whole head (GPT-NeoX halves).
// Layer l is global when l % global_attn_every_n_layers == 0 (base global_rope_theta), else
// local: base local_rope_theta, and token i attends to j only when |i - j| <=
// local_attention / 2 (ModernBertModel._update_attention_mask's window_mask).
#include "modernbert.h"

#include <string>

#include "ordo/error.h"

namespace ordo::models {
namespace {

// ModernBertConfig's defaults (configuration_modernbert.py).
constexpr double kGlobalTheta = 160000.0;
constexpr double kLocalTheta = 10000.0;

bool is_null_or_absent(const io::JsonFile& config, const std::string& key) {
  return !config.has(key) || config.document().at(key).is_null();
}

// A rope_parameters entry ("full_attention", "sliding_attention"), the format newer
// transformers versions save: its rope_theta, or `fallback`. Only the default RoPE is run.
double rope_theta(const io::JsonFile& config, const char* layer_type, double fallback) {
  if (is_null_or_absent(config, "rope_parameters")) return fallback;
  const nlohmann::json& all = config.document().at("rope_parameters");
  if (!all.is_object()) config.fail("rope_parameters", "must be an object");
  if (!all.contains(layer_type) || all.at(layer_type).is_null()) return fallback;
  const nlohmann::json& entry = all.at(layer_type);
  if (!entry.is_object())
    config.fail("rope_parameters", std::string(layer_type) + " must be an object");
  if (entry.contains("rope_type") && entry.at("rope_type") != "default") {
    config.fail("rope_parameters", std::string(layer_type) + ".rope_type is " +
                                       entry.at("rope_type").dump() +
                                       "; ordo runs ModernBERT with the default RoPE only");
  }
  if (!entry.contains("rope_theta")) return fallback;
  if (!entry.at("rope_theta").is_number())
    config.fail("rope_parameters", std::string(layer_type) + ".rope_theta must be a number");
  return entry.at("rope_theta").get<double>();
}

// The two bases: global_rope_theta, and local_rope_theta (null: the global base, as
// ModernBertAttention of transformers 4.48 reads it); rope_parameters, when present, wins.
void read_thetas(const io::JsonFile& config, double& global, double& local) {
  global = rope_theta(config, "full_attention", config.number("global_rope_theta", kGlobalTheta));
  const double local_key = !config.has("local_rope_theta") ? kLocalTheta
                           : config.document().at("local_rope_theta").is_null()
                               ? global
                               : config.number("local_rope_theta");
  local = rope_theta(config, "sliding_attention", local_key);
  if (!(global > 0.0)) config.fail("global_rope_theta", "must be positive");
  if (!(local > 0.0)) config.fail("local_rope_theta", "must be positive");
}

// What ModernBertModel computes differently from anything ordo runs: refused by name.
void refuse_unsupported(const io::JsonFile& config, int64_t layers, int64_t every,
                        int64_t head_dim) {
  if (!is_null_or_absent(config, "rope_scaling")) {
    config.fail("rope_scaling", "is set: scaled RoPE is not supported for ModernBERT");
  }
  if (!is_null_or_absent(config, "head_dim") && config.integer("head_dim") != head_dim) {
    config.fail("head_dim", "differs from hidden_size / num_attention_heads (" +
                                std::to_string(head_dim) + "), which ModernBertAttention uses");
  }
  // Newer configs list each layer's kind; ModernBertAttention still windows by layer index, so
  // a list that disagrees would mix two rules.
  if (!is_null_or_absent(config, "layer_types")) {
    const nlohmann::json& types = config.document().at("layer_types");
    bool matches = types.is_array() && static_cast<int64_t>(types.size()) == layers;
    for (int64_t i = 0; matches && i < layers; ++i) {
      const char* expected = i % every == 0 ? "full_attention" : "sliding_attention";
      matches = types.at(static_cast<size_t>(i)) == expected;
    }
    if (!matches) {
      config.fail("layer_types", "differs from the pattern of global_attn_every_n_layers " +
                                     std::to_string(every) +
                                     " (every n-th layer full_attention, the others "
                                     "sliding_attention), the only one ordo runs");
    }
  }
}

// nn.LayerNorm(hidden, bias=norm_bias): `base`.weight, and `base`.bias when norm_bias.
void load_layer_norm(const Checkpoint& checkpoint, const std::string& base, int64_t hidden,
                     bool with_bias, TensorView& weight, TensorView& bias) {
  const std::string why = "hidden_size " + std::to_string(hidden) +
                          (with_bias ? ", norm_bias true" : ", norm_bias false");
  weight = checkpoint.tensor(base + ".weight", {hidden}, why);
  bias = with_bias ? checkpoint.tensor(base + ".bias", {hidden}, why) : TensorView{};
}

// ModernBertForMaskedLM: decoder(norm(act(dense(x)))), the decoder tied to tok_embeddings
// unless the file stores its own. A sequence classifier's checkpoint has head.dense too (its
// ModernBertPredictionHead) but a classifier instead of a decoder: no MLM head then.
void load_masked_lm_head(const Checkpoint& checkpoint, const io::JsonFile& config, bool norm_bias,
                         EncoderSpec& spec) {
  if (!checkpoint.contains("head.dense.weight") || checkpoint.contains("classifier.weight")) return;
  const int64_t h = spec.hidden_size;
  const std::string why = "hidden_size " + std::to_string(h);
  MaskedLmHead head;
  head.activation = parse_activation(config, "classifier_activation", "gelu");
  load_linear(checkpoint, "head.dense", h, h, why + ", classifier_bias",
              config.boolean("classifier_bias", false), head.dense_weight, head.dense_bias);
  load_layer_norm(checkpoint, "head.norm", h, norm_bias, head.norm_weight, head.norm_bias);
  const std::string vocab_why = "vocab_size " + std::to_string(spec.vocab_size);
  if (checkpoint.contains("decoder.weight") || !config.boolean("tie_word_embeddings", true)) {
    head.decoder_weight =
        checkpoint.tensor("decoder.weight", {spec.vocab_size, h}, vocab_why + ", " + why);
  }
  if (config.boolean("decoder_bias", true)) {
    head.decoder_bias =
        checkpoint.tensor("decoder.bias", {spec.vocab_size}, vocab_why + ", decoder_bias true");
  }
  spec.masked_lm_head = head;
}

}  // namespace

EncoderSpec load_modernbert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "hidden_size", kMaxHidden);
  const int64_t layers = positive_field(config, "num_hidden_layers", kMaxLayers);
  spec.num_heads = positive_field(config, "num_attention_heads", kMaxHidden);
  check_heads_divide(config, "num_attention_heads", spec.num_heads, "hidden_size",
                     spec.hidden_size);
  spec.intermediate_size = positive_field(config, "intermediate_size", 16 * kMaxHidden);
  spec.vocab_size = positive_field(config, "vocab_size", kMaxVocabulary);
  // The activation of Wi's first half, the gate in ordo's terms.
  spec.activation = parse_activation(config, "hidden_activation", "gelu");
  spec.layer_norm_eps = layer_norm_eps(config, "norm_eps", 1e-5);
  spec.norm_placement = NormPlacement::pre;
  const int64_t every = positive_field(config, "global_attn_every_n_layers", kMaxLayers, 3);
  const int64_t local_attention = positive_field(config, "local_attention", kMaxPositions, 128);
  if (local_attention < 2) {
    config.fail("local_attention",
                "must be at least 2 (a window of local_attention / 2 on each "
                "side), got " +
                    std::to_string(local_attention));
  }
  refuse_unsupported(config, layers, every, spec.hidden_size / spec.num_heads);
  double global_theta = 0.0, local_theta = 0.0;
  read_thetas(config, global_theta, local_theta);
  spec.position_kind = PositionKind::rotary;
  spec.rotary.base = global_theta;

  const std::string prefix =
      checkpoint.contains("model.embeddings.tok_embeddings.weight") ? "model." : "";
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  const bool norm_bias = config.boolean("norm_bias", false);
  const bool attention_bias = config.boolean("attention_bias", false);
  const bool mlp_bias = config.boolean("mlp_bias", false);
  spec.word_embeddings =
      checkpoint.tensor(prefix + "embeddings.tok_embeddings.weight", {spec.vocab_size, h},
                        "vocab_size " + std::to_string(spec.vocab_size) + ", " + hidden_why);
  load_layer_norm(checkpoint, prefix + "embeddings.norm", h, norm_bias, spec.embedding_norm_weight,
                  spec.embedding_norm_bias);

  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "layers." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    LayerWeights w;
    TensorView qkv, qkv_bias;
    load_linear(checkpoint, layer + "attn.Wqkv", 3 * h, h, why + ", attention_bias", attention_bias,
                qkv, qkv_bias);
    w.query_weight = rows_of(qkv, 0, h);
    w.key_weight = rows_of(qkv, h, h);
    w.value_weight = rows_of(qkv, 2 * h, h);
    if (attention_bias) {
      w.query_bias = TensorView{qkv_bias.data, {h}};
      w.key_bias = TensorView{qkv_bias.data + h, {h}};
      w.value_bias = TensorView{qkv_bias.data + 2 * h, {h}};
    }
    load_linear(checkpoint, layer + "attn.Wo", h, h, why + ", attention_bias", attention_bias,
                w.attention_output_weight, w.attention_output_bias);
    if (i > 0) {  // layer 0's attn_norm is the identity and has no weights
      load_layer_norm(checkpoint, layer + "attn_norm", h, norm_bias, w.attention_norm_weight,
                      w.attention_norm_bias);
    }
    // Wi [2 intermediate, hidden]: act applies to the first half, so it is ordo's gate, and
    // the two halves already lie gate first (no copy).
    const std::string ffn_why = "2 x intermediate_size " + std::to_string(f) + ", " + why;
    TensorView wi, wi_bias;
    load_linear(checkpoint, layer + "mlp.Wi", 2 * f, h, ffn_why + ", mlp_bias", mlp_bias, wi,
                wi_bias);
    w.ffn_gate_weight = rows_of(wi, 0, f);
    w.ffn_input_weight = rows_of(wi, f, f);
    if (mlp_bias) {
      w.ffn_gate_bias = TensorView{wi_bias.data, {f}};
      w.ffn_input_bias = TensorView{wi_bias.data + f, {f}};
    }
    load_linear(checkpoint, layer + "mlp.Wo", h, f,
                "intermediate_size " + std::to_string(f) + ", " + why + ", mlp_bias", mlp_bias,
                w.ffn_output_weight, w.ffn_output_bias);
    load_layer_norm(checkpoint, layer + "mlp_norm", h, norm_bias, w.ffn_norm_weight,
                    w.ffn_norm_bias);
    if (i % every != 0) {
      w.attention_window = local_attention / 2;
      w.rotary_base = local_theta;
    }
    spec.layers.push_back(w);
  }
  load_layer_norm(checkpoint, prefix + "final_norm", h, norm_bias, spec.final_norm_weight,
                  spec.final_norm_bias);
  load_masked_lm_head(checkpoint, config, norm_bias, spec);
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
