#pragma once
// NomicBERT checkpoints (`model_type: nomic_bert`, NomicBertModel; nomic-embed-text-v1 and
// v1.5): a fused Wqkv, rotary positions, a SwiGLU feed-forward, post-LN blocks.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_nomic_bert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
