#pragma once
// BERT-style checkpoints (`model_type: bert`): Hugging Face BertModel / BertForMaskedLM names,
// with or without the `bert.` prefix, plus ordo's extensions of `position_embedding_type`
// (sinusoidal, sinusoidal-blocked, none) and `ordo_pre_layer_norm`. RoBERTa reuses the
// encoder part (same names under `roberta.`).
#include <string>
#include <vector>

#include "checkpoint.h"

namespace ordo::models {

// What differs between checkpoints that share BERT's encoder names.
struct BertLayout {
  std::vector<std::string> prefixes;  // tried in order; the first that has the embeddings wins
  int64_t position_offset = 0;        // RoBERTa: pad_token_id + 1
};

// Embeddings and encoder layers (no task head) under `layout`'s prefix.
EncoderSpec load_bert_encoder(const Checkpoint& checkpoint, const io::JsonFile& config,
                              const BertLayout& layout);

// load_bert_encoder with the `bert.` prefix (or none) and BertForMaskedLM's `cls.predictions.*`
// head when present.
EncoderSpec load_bert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
