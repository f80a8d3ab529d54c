#pragma once
// BERT-style checkpoints (`model_type: bert`): Hugging Face BertModel / BertForMaskedLM names,
// with or without the `bert.` prefix, plus ordo's extensions of `position_embedding_type`
// (sinusoidal, sinusoidal-blocked, none) and `ordo_pre_layer_norm`. RoBERTa reuses the
// encoder part (same names under `roberta.`).
#include <functional>
#include <string>
#include <vector>

#include "checkpoint.h"

namespace ordo::models {

// What differs between checkpoints that share BERT's encoder names.
struct BertLayout {
  std::vector<std::string> prefixes;  // tried in order; the first that has the embeddings wins
  int64_t position_offset = 0;        // RoBERTa: pad_token_id + 1
  // Reads a layer's feed-forward (its matrices and the LayerNorm after it) from the names under
  // `layer` ("<prefix>encoder.layer.<i>.") instead of BERT's intermediate/output: JinaBERT-v2's
  // GLU MLP. Empty: BERT's.
  std::function<void(const std::string& layer, const std::string& why, LayerWeights&)> feed_forward;
};

// Embeddings and encoder layers (no task head) under `layout`'s prefix.
EncoderSpec load_bert_encoder(const Checkpoint& checkpoint, const io::JsonFile& config,
                              const BertLayout& layout);

// BertForMaskedLM's `cls.predictions.*` head into `spec`, when the checkpoint has one.
void load_bert_masked_lm_head(const Checkpoint& checkpoint, Activation activation,
                              EncoderSpec& spec);

// load_bert_encoder with the `bert.` prefix (or none) and BertForMaskedLM's `cls.predictions.*`
// head when present. JinaBERT-v2 configs (also `model_type: bert`) go to load_jina_bert.
EncoderSpec load_bert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
