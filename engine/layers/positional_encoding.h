#pragma once
// Absolute positional encodings added to the token embeddings (docs/architecture.md,
// "Positional encodings"); the kinds inside attention are in layers/attention_position.h. Each
// kind is one class; `none` is the control experiment in which self-attention is
// permutation-equivariant.
#include <memory>
#include <vector>

#include "core/encoder.h"

namespace ordo::layers {

// Value of the sinusoidal table at (position, column) for a model of width `dimension`,
// computed in double precision like the reference implementations, then rounded to float.
//   interleaved (Vaswani et al.; HF DistilBERT create_sinusoidal_embeddings):
//     column 2i -> sin(p / 10000^(2i/d)), column 2i+1 -> cos(same angle)
//   blocked (HF MarianSinusoidalPositionalEmbedding): the sin of every frequency in columns
//     [0, ceil(d/2)), then the cos of every frequency in [ceil(d/2), d)
float sinusoidal_value(PositionKind kind, int64_t position, int64_t column, int64_t dimension);

class PositionalEncoding {
 public:
  virtual ~PositionalEncoding() = default;
  virtual PositionKind kind() const = 0;
  // Highest supported number of positions, or 0 when unbounded.
  virtual int64_t max_positions() const { return 0; }
  // row[0..hidden) += PE(position). Thread-safe.
  virtual void add_to(int64_t position, float* row) const = 0;

  // `table` is the learned [positions, hidden] table (may be empty for the other kinds).
  static std::unique_ptr<PositionalEncoding> create(PositionKind kind, int64_t hidden_size,
                                                    const TensorView& table, int64_t offset);
};

}  // namespace ordo::layers
