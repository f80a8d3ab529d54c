#pragma once
// Random-weight encoders of standard shapes, built in memory for `ordo bench`: the speed of a
// MiniLM or a BERT-base does not depend on what its weights learned.
#include <string>
#include <vector>

#include "core/encoder.h"

namespace ordo::cli {

struct SyntheticShape {
  std::string name;
  int64_t layers, hidden, heads, intermediate, vocab, positions;
  // ModernBERT's layout when global_every > 0: local attention of `window` tokens on each
  // side on every layer l with l % global_every != 0 (0: every layer global).
  int64_t global_every = 0, window = 0;
  bool in_default_grid = true;  // run when `ordo bench` is given neither --model nor --shape
};

// minilm: 6 x 384, 12 heads, FFN 1536; bert-base: 12 x 768, 12 heads, FFN 3072. Both BERT
// layout (post-LN, GELU, learned positions 512, token types 2), vocabulary 30522, with the
// tables of the relative kinds too (distance tables for 512 positions, 32 buckets), so that
// `--pe` runs any kind on them. modernbert-base: ModernBERT-base's layout (22 x 768, 12 heads,
// GeGLU 1152, pre-LN with bias-free norms and linears, rotary with bases 160000 / 10000,
// local_attention 128 on all but every 3rd layer, vocabulary 50368); modernbert-base-global:
// the same weights with every layer global, to time local attention against global.
const std::vector<SyntheticShape>& synthetic_shapes();
const SyntheticShape& synthetic_shape(const std::string& name);  // UsageError when unknown

// Weights uniform with the standard deviation of BERT's init (0.02), LayerNorm weights near 1;
// deterministic for a seed.
EncoderSpec synthetic_spec(const SyntheticShape& shape, uint64_t seed = 1);

}  // namespace ordo::cli
