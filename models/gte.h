#pragma once
// GTE-v1.5 and gte-multilingual checkpoints (`model_type: new`, the remote code NewModel of
// Alibaba-NLP/new-impl): rotary positions with optional fixed NTK scaling, a fused qkv_proj,
// a GLU feed-forward (up_gate_proj), post-LN blocks.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_gte(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
