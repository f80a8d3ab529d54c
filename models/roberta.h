#pragma once
// RoBERTa-family checkpoints (`model_type` roberta, xlm-roberta, camembert): BERT's encoder
// names under `roberta.`, positions counted from pad_token_id + 1 as Hugging Face's
// create_position_ids_from_input_ids does, and RobertaForMaskedLM's `lm_head.*` when present.
//
// Positions: Hugging Face gives real tokens pad_token_id + 1, + 2, ... and padding tokens
// pad_token_id. ordo never pads (batches are packed), so a sequence's tokens get exactly the
// real-token positions. An explicit pad id *inside* a sequence is not special here.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_roberta(const Checkpoint& checkpoint, const io::JsonFile& config);

// RobertaLMHead's `lm_head.*` (dense -> exact GELU -> layer_norm -> decoder tied to the word
// embeddings, + bias) into spec.masked_lm_head; MPNet's head has the same names and maths.
void load_lm_head(const Checkpoint& checkpoint, EncoderSpec& spec);

}  // namespace ordo::models
