#pragma once
// BERT-style checkpoints (`model_type: bert`): Hugging Face BertModel / BertForMaskedLM names,
// with or without the `bert.` prefix, plus ordo's extensions of `position_embedding_type`
// (sinusoidal, sinusoidal-blocked, none) and `ordo_pre_layer_norm`.
#include <filesystem>

#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_bert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
