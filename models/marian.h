#pragma once
// Marian encoders (`model_type: marian`, Helsinki-NLP opus-mt): the encoder half of
// MarianMTModel / MarianModel. Token embeddings `model.shared.weight` (or the encoder's own
// `embed_tokens` when not shared) scaled by sqrt(d_model) when `scale_embedding`; the blocked
// sinusoidal table (sin in the first half of the columns, cos in the second) from position 0,
// computed as Hugging Face's MarianSinusoidalPositionalEmbedding does; post-LN blocks
// (LayerNorm eps 1e-5, torch's default) and no embedding LayerNorm. The decoder is not read.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_marian(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
