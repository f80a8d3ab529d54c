#pragma once
// How a batch of sequences of different lengths is laid out during the forward pass, and the
// scratch memory it runs in. Token-wise work (projections, FFN, layer norm, residuals) runs on
// the packed real tokens [total_tokens, hidden]; attention runs per group of equal-length
// sequences. Padding exists only in the outputs handed back to the caller.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "ops/op_cache.h"

namespace ordo::layers {

struct BatchLayout {
  struct Run {  // consecutive sequences of the same length: one batched attention call
    int64_t first_sequence = 0;
    int64_t count = 0;
    int64_t length = 0;
    int64_t first_row = 0;
  };

  explicit BatchLayout(const std::vector<std::vector<int32_t>>& ids);

  std::vector<int64_t> lengths;
  std::vector<int64_t> first_row;  // packed row of each sequence's first token
  std::vector<Run> runs;
  int64_t total_tokens = 0;
  int64_t longest = 0;
};

using ops::AlignedBuffer;

struct Workspace {
  AlignedBuffer hidden;              // [tokens, hidden], the residual stream
  AlignedBuffer normed;              // [tokens, hidden], pre-LN input to a sublayer
  AlignedBuffer qkv;                 // [tokens, 3 * hidden]
  AlignedBuffer context;             // [tokens, hidden]
  AlignedBuffer intermediate;        // [tokens, intermediate]
  AlignedBuffer gate_up;             // [tokens, 2 * intermediate], a gated FFN's first matmul
  AlignedBuffer probabilities;       // [run batch, heads, length, length]
  AlignedBuffer scratchpad;          // oneDNN's temporary memory for the primitive being run
  ops::QuantizedBuffers quantized;   // int8 projections' inputs, scales and sums
  std::vector<uint16_t> bf16_input;  // bf16 projections' inputs rounded to bf16
  // Position inside attention (layers/attention_position.h):
  AlignedBuffer position_bias;                // a score bias for the current run
  AlignedBuffer distance_scores;              // relative_key: q . r and k . r for the current run
  std::vector<float> rotary_cos, rotary_sin;  // rotary angles past the tabulated positions
  double rotary_base = 0.0;                   // ... of this base, frequency scale and number
  double rotary_frequency_scale = 0.0;        // of pairs (thread_local: shared by every model)
  int64_t rotary_pairs = 0;
};

class OpProfile;

// What one forward call carries through the layers.
struct ForwardContext {
  dnnl::stream& stream;
  const BatchLayout& layout;
  ops::OpCache& ops;
  Workspace& workspace;
  OpProfile* profile = nullptr;  // per-op timing when the caller asked for it
};

}  // namespace ordo::layers
