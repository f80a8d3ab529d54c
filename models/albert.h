#pragma once
// ALBERT checkpoints (`model_type: albert`): AlbertModel / AlbertForMaskedLM names under
// `albert.` (or none). Factorised embeddings: tables `embedding_size` wide, their LayerNorm,
// then `encoder.embedding_hidden_mapping_in` to `hidden_size`. Layer weights are shared: the
// `num_hidden_groups` groups of `inner_group_num` layers each serve num_hidden_layers /
// num_hidden_groups consecutive applications, as AlbertTransformer.forward assigns them. The
// MLM head (`predictions.*`, which maps back to embedding_size) is not loaded: `ordo fill` does
// not run ALBERT.
#include "checkpoint.h"

namespace ordo::models {

EncoderSpec load_albert(const Checkpoint& checkpoint, const io::JsonFile& config);

}  // namespace ordo::models
