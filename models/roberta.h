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

}  // namespace ordo::models
