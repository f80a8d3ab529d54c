#pragma once
// Without any positional information an encoder is permutation-equivariant: a token's output
// depends on which tokens surround it, not on where. In floating point the sums inside
// attention still run over the keys in the order given, so a reordered text gets vectors that
// differ by rounding (~1e-6). Running every sequence's tokens after the first in one
// canonical order (by id, then token type) and putting the outputs back makes any two
// orderings of the same tokens give bit-identical vectors, as the mathematics says. The first
// token ([CLS]) stays first, so CLS and pooler pooling read the same token as without this.
#include <cstddef>
#include <vector>

#include "core/encoder.h"

namespace ordo::layers {

class CanonicalOrder {
 public:
  explicit CanonicalOrder(const EncoderInput& input);

  bool is_identity() const { return identity_; }
  const EncoderInput& sorted() const { return sorted_; }
  // Moves every per-token output of a forward pass on sorted() back to the input's order:
  // hidden states (rows) and attentions (rows and columns). Pooled vectors need nothing: a
  // sum over the tokens, or the first token, is the same in either order.
  void restore(EncoderOutput& output) const;

 private:
  EncoderInput sorted_;
  std::vector<std::vector<size_t>> order_;  // sorted row k is the input's token order_[s][k]
  bool identity_ = true;
};

}  // namespace ordo::layers
