#pragma once
// DistilBERT checkpoints (`model_type: distilbert`): DistilBertModel / DistilBertForMaskedLM
// names (`q_lin`, `sa_layer_norm`, `ffn.lin1`, ...), config fields `dim`, `n_layers`,
// `n_heads`, `hidden_dim`, `activation`; no token types; LayerNorm eps 1e-12 (fixed in Hugging
// Face's code); `sinusoidal_pos_embds: true` means the interleaved sinusoidal table, computed
// here rather than read.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_distilbert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
