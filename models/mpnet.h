#pragma once
// MPNet (`model_type: mpnet`, Hugging Face MPNetModel / MPNetForMaskedLM, e.g.
// sentence-transformers/all-mpnet-base-v2): BERT's post-LN blocks under MPNet's names, no
// token types, and position twice — a learned table added to the input from padding_idx + 1
// and the T5-style bucketed bias, one table for all layers, inside attention.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_mpnet(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
