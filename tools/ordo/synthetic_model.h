#pragma once
// Random-weight encoders of standard shapes, built in memory for `ordo bench`: the speed of a
// MiniLM or a BERT-base does not depend on what its weights learned.
#include <string>
#include <vector>

#include "core/encoder.h"

namespace ordo::cli {

struct SyntheticShape {
  std::string name;
  int64_t layers = 0, hidden = 0, heads = 0, intermediate = 0, vocab = 0, positions = 0;
  // The family's layout where it is not BERT's (learned positions, GELU FFN, every bias).
  PositionKind position_kind = PositionKind::learned;
  RotarySettings rotary{};
  bool learned_input_positions_too = false;  // MPNet: a learned table beside its bucketed bias
  int64_t position_offset = 0;
  int64_t token_types = 2;
  bool gated = false;  // a gated FFN: act(x Wg) * (x W1)
  Activation activation = Activation::gelu;
  bool attention_biases = true, ffn_input_biases = true, ffn_output_bias = true;
  // ModernBERT's layout when global_every > 0 (pre-LN, bias-free norms, no position tables):
  // local attention of `window` tokens on each side, rotary base local_rotary_base, on every
  // layer l with l % global_every != 0 (window 0: every layer global).
  int64_t global_every = 0, window = 0;
  double local_rotary_base = 0.0;
  bool in_default_run = false;  // timed when neither --model nor --shape is given
};

// minilm: 6 x 384, 12 heads, FFN 1536; bert-base: 12 x 768, 12 heads, FFN 3072 (both BERT,
// vocabulary 30522, run by default); mpnet-base (12 x 768, relative bias and learned
// positions), nomic-v1.5 (12 x 768, rotary base 1000, SwiGLU 3072, no linear biases) and
// gte-base (12 x 768, rotary base 500000 with NTK factor 2, GLU 3072, no up_gate bias). Each has
// the tables of the other kinds too (learned and distance tables for its positions, 32
// buckets), so that `--pe` runs any kind on them. modernbert-base: ModernBERT-base's layout
// (22 x 768, 12 heads, GeGLU 1152, pre-LN with bias-free norms and linears, rotary with bases
// 160000 / 10000, local_attention 128 on all but every 3rd layer, vocabulary 50368), no
// tables of other kinds; modernbert-base-global: the same weights with every layer global, to
// time local attention against global.
const std::vector<SyntheticShape>& synthetic_shapes();
const SyntheticShape& synthetic_shape(const std::string& name);  // UsageError when unknown

// Weights uniform with the standard deviation of BERT's init (0.02), LayerNorm weights near 1;
// deterministic for a seed.
EncoderSpec synthetic_spec(const SyntheticShape& shape, uint64_t seed = 1);

}  // namespace ordo::cli
