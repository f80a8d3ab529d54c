#pragma once
// JinaBERT-v2 checkpoints (jina-embeddings-v2-*-en: `model_type: bert`, JinaBertModel /
// JinaBertForMaskedLM from jinaai/jina-bert-implementation): BERT's names and post-LN blocks
// with symmetric ALiBi instead of position embeddings and, per `feed_forward_type`, a GLU MLP.
#include "checkpoint.h"

namespace ordo::models {

// A `model_type: bert` config that is JinaBERT's: it names a JinaBert architecture or class, or
// has JinaBertConfig's `feed_forward_type`.
bool is_jina_bert(const io::JsonFile& config);

EncoderSpec load_jina_bert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
