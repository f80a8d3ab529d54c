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
};

// minilm: 6 x 384, 12 heads, FFN 1536; bert-base: 12 x 768, 12 heads, FFN 3072. Both BERT
// layout (post-LN, GELU, learned positions 512, token types 2), vocabulary 30522, with the
// tables of the relative kinds too (distance tables for 512 positions, 32 buckets), so that
// `--pe` runs any kind on them.
const std::vector<SyntheticShape>& synthetic_shapes();
const SyntheticShape& synthetic_shape(const std::string& name);  // UsageError when unknown

// Weights uniform with the standard deviation of BERT's init (0.02), LayerNorm weights near 1;
// deterministic for a seed.
EncoderSpec synthetic_spec(const SyntheticShape& shape, uint64_t seed = 1);

}  // namespace ordo::cli
