#include "roberta.h"

#include "bert.h"

namespace ordo::models {

EncoderSpec load_roberta(const Checkpoint& checkpoint, const io::JsonFile& config) {
  const int64_t pad = config.integer("pad_token_id", 1);
  if (pad < 0 || pad >= kMaxPositions) config.fail("pad_token_id", "must be >= 0");
  EncoderSpec spec =
      load_bert_encoder(checkpoint, config, BertLayout{{"roberta.", ""}, pad + 1, {}});
  if (checkpoint.contains("lm_head.dense.weight")) load_lm_head(checkpoint, spec);
  return spec;
}

void load_lm_head(const Checkpoint& checkpoint, EncoderSpec& spec) {
  // Exact GELU whatever hidden_act says, as RobertaLMHead and MPNetLMHead compute it.
  const int64_t h = spec.hidden_size;
  const std::string hidden_why = "hidden_size " + std::to_string(h);
  MaskedLmHead head;
  head.activation = Activation::gelu;
  load_linear(checkpoint, "lm_head.dense", h, h, hidden_why, head.dense_weight, head.dense_bias);
  load_norm(checkpoint, "lm_head.layer_norm", h, head.norm_weight, head.norm_bias);
  const std::string vocab_why = "vocab_size " + std::to_string(spec.vocab_size);
  if (checkpoint.contains("lm_head.decoder.weight")) {
    head.decoder_weight =
        checkpoint.tensor("lm_head.decoder.weight", {spec.vocab_size, h}, vocab_why);
  }
  const std::string bias =
      checkpoint.contains("lm_head.bias") ? "lm_head.bias" : "lm_head.decoder.bias";
  head.decoder_bias = checkpoint.tensor(bias, {spec.vocab_size}, vocab_why);
  spec.masked_lm_head = head;
}

}  // namespace ordo::models
