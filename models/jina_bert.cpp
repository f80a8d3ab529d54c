// JinaBERT-v2 (Günther et al. 2023, "Jina Embeddings 2") as its remote code computes it
// (jinaai/jina-bert-implementation, modeling_bert.py: JinaBertModel): BERT's embeddings without
// a position table, BERT's attention with -m_h |i - j| added to the scores (symmetric ALiBi,
// the paper's slopes), and for feed_forward_type geglu / reglu JinaBertGLUMLP:
//   g = gated_layers(x)  (no bias, [2 intermediate, hidden])
//   x = layernorm(x + wo(act(g[:intermediate]) * g[intermediate:]))
// The gate is the first half; act is exact GELU for geglu and ReLU for reglu, whatever
// hidden_act says. feed_forward_type `original` keeps BERT's intermediate/output.
#include "jina_bert.h"

#include <optional>

#include "bert.h"
#include "ordo/error.h"

namespace ordo::models {
namespace {

bool names_jina(const nlohmann::json& value) {
  return value.is_string() && value.get<std::string>().find("JinaBert") != std::string::npos;
}

}  // namespace

bool is_jina_bert(const io::JsonFile& config) {
  if (config.has("feed_forward_type")) return true;
  const nlohmann::json& document = config.document();
  for (const char* key : {"architectures", "auto_map"}) {
    if (!document.contains(key)) continue;
    for (const nlohmann::json& value : document.at(key)) {
      if (names_jina(value)) return true;
    }
  }
  return false;
}

EncoderSpec load_jina_bert(const Checkpoint& checkpoint, const io::JsonFile& config) {
  // JinaBertModel adds the bias only for alibi; other position types would need its own
  // reading of them, which ordo does not reproduce.
  const std::string position = config.string("position_embedding_type", "absolute");
  if (position != "alibi") {
    config.fail("position_embedding_type",
                "is \"" + position + "\"; ordo runs JinaBERT with \"alibi\" only");
  }
  // JinaBertModel.encode pools by emb_pooler; only its mean pooling exists there.
  if (config.has("emb_pooler") && !config.document().at("emb_pooler").is_null() &&
      config.string("emb_pooler") != "mean") {
    config.fail("emb_pooler", "has unsupported value \"" + config.string("emb_pooler") +
                                  "\" (supported: mean, or null)");
  }
  const std::string feed_forward = config.string("feed_forward_type", "original");
  BertLayout layout{{"bert.", ""}, 0, {}};
  std::optional<Activation> gate_activation;
  if (feed_forward == "geglu") {
    gate_activation = Activation::gelu;  // nn.GELU(): exact
  } else if (feed_forward == "reglu") {
    gate_activation = Activation::relu;
  } else if (feed_forward != "original") {
    config.fail("feed_forward_type", "has unsupported value \"" + feed_forward +
                                         "\" (supported: original, geglu, reglu)");
  }
  const int64_t f = positive_field(config, "intermediate_size", 16 * kMaxHidden);
  const int64_t h = positive_field(config, "hidden_size", kMaxHidden);
  if (gate_activation) {
    layout.feed_forward = [&](const std::string& layer, const std::string& why, LayerWeights& w) {
      const TensorView gated =
          checkpoint.tensor(layer + "mlp.gated_layers.weight", {2 * f, h}, "2 x " + why);
      w.ffn_gate_weight = rows_of(gated, 0, f);
      w.ffn_input_weight = rows_of(gated, f, f);
      load_linear(checkpoint, layer + "mlp.wo", h, f, why, w.ffn_output_weight, w.ffn_output_bias);
      load_norm(checkpoint, layer + "mlp.layernorm", h, w.ffn_norm_weight, w.ffn_norm_bias);
    };
  }
  EncoderSpec spec = load_bert_encoder(checkpoint, config, layout);
  // JinaBertForMaskedLM's head applies hidden_act, as BERT's does.
  load_bert_masked_lm_head(checkpoint, spec.activation, spec);
  if (gate_activation) spec.activation = *gate_activation;
  return spec;
}

}  // namespace ordo::models
