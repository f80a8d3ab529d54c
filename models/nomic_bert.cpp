// NomicBERT as Nomic's remote code computes it (contrastors,
// src/contrastors/models/huggingface/modeling_hf_nomic_bert.py: NomicBertModel):
//   x = LayerNorm_emb(word[ids] + type[segments] (+ a learned position when rotary is off))
//   per block (post-LN): x = norm1(x + out_proj(attention(Wqkv x)));  x = norm2(x + mlp(x))
// with q, k, v the three row blocks of Wqkv (in that order), q and k rotated (rotary_emb_*),
// and the gated MLP fc2(fc11(x) * act(fc12(x))): fc12 is the gate, fc11 the up projection.
#include "nomic_bert.h"

#include "ordo/error.h"

namespace ordo::models {
namespace {

// NomicBertConfig derives from GPT2Config: a key the file leaves out takes GPT-2's default.
constexpr double kGpt2LayerNormEpsilon = 1e-5;
// NomciBertGatedMLP rounds its width up to a multiple of this (its `multiple_of`).
constexpr int64_t kGatedWidthMultiple = 256;

// True when `key` is present with a value other than null, false or 0.
bool is_set(const io::JsonFile& config, const std::string& key) {
  if (!config.has(key)) return false;
  const nlohmann::json& value = config.document().at(key);
  return !(value.is_null() || (value.is_boolean() && !value.get<bool>()) ||
           (value.is_number() && value.get<double>() == 0.0));
}

// What NomicBertModel computes differently from anything ordo runs: refused by name rather
// than run as something else. (Keys the remote code never reads, such as use_rms_norm,
// parallel_block, causal or rotary_emb_scale_base, change nothing there and nothing here.)
void refuse_unsupported(const io::JsonFile& config, int64_t heads) {
  if (config.boolean("prenorm", false)) {
    config.fail("prenorm",
                "is true: NomicBertModel's pre-LN path returns the last block's MLP output "
                "without its residual and with no final LayerNorm, which ordo's pre-LN blocks "
                "do not reproduce (released NomicBERT models are post-LN)");
  }
  if (is_set(config, "rotary_scaling_factor")) {
    config.fail("rotary_scaling_factor",
                "is set: dynamic-NTK rotary scaling (NomicBertDynamicNTKRotaryEmbedding) is not "
                "supported; remove it to run the model at its trained base");
  }
  for (const char* key : {"num_experts", "moe_every_n_layers"}) {
    if (is_set(config, key)) {
      config.fail(key,
                  "is set: mixture-of-experts layers (nomic-embed-text-v2-moe) are not "
                  "supported");
    }
  }
  if (config.boolean("rotary_head_dim", false)) {
    config.fail("rotary_head_dim", "is true: rotation along the head axis is not supported");
  }
  if (config.boolean("norm_mlp", false)) {
    config.fail("norm_mlp", "is true: a LayerNorm inside the MLP is not supported");
  }
  if (is_set(config, "num_heads_kv") && config.integer("num_heads_kv") != heads) {
    config.fail("num_heads_kv", "differs from n_head: grouped-query attention is not supported");
  }
}

// The MLP's kind from activation_function, as NomicBertBlock picks it: swiglu and geglu gate
// with SiLU and exact GELU; the plain MLP always applies F.gelu (exact), whatever GELU variant
// the config names (NomicBertMLP is handed the function, not the name).
struct Mlp {
  bool gated;
  Activation activation;
};

Mlp read_mlp(const io::JsonFile& config) {
  const std::string name = config.string("activation_function", "gelu_new");
  if (name == "swiglu") return {true, Activation::silu};
  if (name == "geglu") return {true, Activation::gelu};
  if (name == "gelu" || name == "gelu_new" || name == "gelu_fast" || name == "gelu_pytorch_tanh") {
    return {false, Activation::gelu};
  }
  config.fail("activation_function",
              "has unsupported value \"" + name +
                  "\" (supported: swiglu, geglu, gelu, gelu_new, gelu_fast, gelu_pytorch_tanh; "
                  "glu's sigmoid gate is not implemented)");
}

// The MLP's width as the modules build it: n_inner, or GPT-2's None default (4 n_embd plain,
// 8/3 n_embd gated); the gated MLP rounds it up to a multiple of 256.
int64_t mlp_width(const io::JsonFile& config, const Mlp& mlp, int64_t hidden) {
  const bool given = config.has("n_inner") && !config.document().at("n_inner").is_null();
  int64_t width = given ? positive_field(config, "n_inner", 16 * kMaxHidden)
                        : (mlp.gated ? 8 * hidden / 3 : 4 * hidden);
  if (mlp.gated)
    width = (width + kGatedWidthMultiple - 1) / kGatedWidthMultiple * kGatedWidthMultiple;
  return width;
}

}  // namespace

EncoderSpec load_nomic_bert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  EncoderSpec spec;
  spec.hidden_size = positive_field(config, "n_embd", kMaxHidden);
  const int64_t layers = positive_field(config, "n_layer", kMaxLayers);
  spec.num_heads = positive_field(config, "n_head", kMaxHidden);
  check_heads_divide(config, "n_head", spec.num_heads, "n_embd", spec.hidden_size);
  refuse_unsupported(config, spec.num_heads);
  const Mlp mlp = read_mlp(config);
  spec.activation = mlp.activation;
  spec.intermediate_size = mlp_width(config, mlp, spec.hidden_size);
  // NomicBertModel pads the vocabulary to a multiple of pad_vocab_size_multiple.
  const int64_t vocab = positive_field(config, "vocab_size", kMaxVocabulary);
  const int64_t multiple = positive_field(config, "pad_vocab_size_multiple", kMaxVocabulary, 1);
  spec.vocab_size = (vocab + multiple - 1) / multiple * multiple;
  spec.layer_norm_eps = layer_norm_eps(config, "layer_norm_epsilon", kGpt2LayerNormEpsilon);
  spec.norm_placement = NormPlacement::post;

  // rotary_emb_fraction > 0: rotary inside attention; otherwise a learned table of n_positions
  // (GPT-2's name for max_position_embeddings) from position 0.
  const double fraction = config.number("rotary_emb_fraction", 0.0);
  spec.position_kind = fraction > 0.0 ? PositionKind::rotary : PositionKind::learned;
  spec.rotary.base = config.number("rotary_emb_base", 10000.0);
  spec.rotary.fraction = fraction;
  spec.rotary.interleaved = config.boolean("rotary_emb_interleaved", false);
  if (fraction > 1.0) config.fail("rotary_emb_fraction", "must be at most 1");
  if (fraction > 0.0 && !(spec.rotary.base > 0.0))
    config.fail("rotary_emb_base", "must be positive");

  const std::string prefix =
      checkpoint.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const int64_t h = spec.hidden_size, f = spec.intermediate_size;
  const std::string hidden_why = "n_embd " + std::to_string(h);
  spec.position_weight_names.position_embeddings = prefix + "embeddings.position_embeddings.weight";
  spec.word_embeddings = checkpoint.tensor(
      prefix + "embeddings.word_embeddings.weight", {spec.vocab_size, h},
      "vocab_size " + std::to_string(vocab) + " padded to a multiple of pad_vocab_size_multiple " +
          std::to_string(multiple) + ", " + hidden_why);
  if (spec.position_kind == PositionKind::learned) {
    const int64_t positions = positive_field(config, "n_positions", kMaxPositions, 1024);
    spec.position_embeddings = checkpoint.tensor(
        spec.position_weight_names.position_embeddings, {positions, h},
        "n_positions " + std::to_string(positions) + " with rotary_emb_fraction 0, " + hidden_why);
  }
  const int64_t types = config.integer("type_vocab_size", 2);
  if (types < 0 || types > 1024) config.fail("type_vocab_size", "must be between 0 and 1024");
  if (types > 0) {
    spec.token_type_embeddings =
        checkpoint.tensor(prefix + "embeddings.token_type_embeddings.weight", {types, h},
                          "type_vocab_size " + std::to_string(types) + ", " + hidden_why);
  }
  load_norm(checkpoint, prefix + "emb_ln", h, spec.embedding_norm_weight, spec.embedding_norm_bias);

  // qkv_proj_bias governs out_proj's bias too (NomicBertAttention builds both with it).
  const bool attention_bias = config.boolean("qkv_proj_bias", true);
  const bool fc1_bias = config.boolean("mlp_fc1_bias", true);
  const bool fc2_bias = config.boolean("mlp_fc2_bias", true);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string layer = prefix + "encoder.layers." + std::to_string(i) + ".";
    const std::string why =
        hidden_why + ", layer " + std::to_string(i) + " of " + std::to_string(layers);
    const std::string ffn_why = "n_inner " + std::to_string(f) + " (" +
                                config.string("activation_function", "gelu_new") + "), " + why;
    LayerWeights w;
    TensorView qkv, qkv_bias;
    load_linear(checkpoint, layer + "attn.Wqkv", 3 * h, h, why, attention_bias, qkv, qkv_bias);
    w.query_weight = rows_of(qkv, 0, h);
    w.key_weight = rows_of(qkv, h, h);
    w.value_weight = rows_of(qkv, 2 * h, h);
    if (attention_bias) {
      w.query_bias = TensorView{qkv_bias.data, {h}};
      w.key_bias = TensorView{qkv_bias.data + h, {h}};
      w.value_bias = TensorView{qkv_bias.data + 2 * h, {h}};
    }
    load_linear(checkpoint, layer + "attn.out_proj", h, h, why, attention_bias,
                w.attention_output_weight, w.attention_output_bias);
    load_norm(checkpoint, layer + "norm1", h, w.attention_norm_weight, w.attention_norm_bias);
    if (mlp.gated) {
      load_linear(checkpoint, layer + "mlp.fc11", f, h, ffn_why, fc1_bias, w.ffn_input_weight,
                  w.ffn_input_bias);
      load_linear(checkpoint, layer + "mlp.fc12", f, h, ffn_why, fc1_bias, w.ffn_gate_weight,
                  w.ffn_gate_bias);
    } else {
      load_linear(checkpoint, layer + "mlp.fc1", f, h, ffn_why, fc1_bias, w.ffn_input_weight,
                  w.ffn_input_bias);
    }
    load_linear(checkpoint, layer + "mlp.fc2", h, f, ffn_why, fc2_bias, w.ffn_output_weight,
                w.ffn_output_bias);
    load_norm(checkpoint, layer + "norm2", h, w.ffn_norm_weight, w.ffn_norm_bias);
    spec.layers.push_back(w);
  }
  spec.storage = checkpoint.storage();
  return spec;
}

}  // namespace ordo::models
