#pragma once
// ModernBERT checkpoints (`model_type: modernbert`, ModernBertModel / ModernBertForMaskedLM;
// answerdotai/ModernBERT-base and its fine-tunes such as nomic-ai/modernbert-embed-base and
// Alibaba-NLP/gte-modernbert-base): pre-LN blocks, rotary positions with a base per layer kind,
// sliding-window local attention on all but every n-th layer, a GeGLU feed-forward, no biases.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_modernbert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
