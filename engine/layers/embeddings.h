#pragma once
// x = word_embedding[id] * scale + PE(position) + token_type_embedding[type], then the
// embedding LayerNorm when the family has one.
#include <memory>

#include "layers/batch.h"
#include "layers/positional_encoding.h"

namespace ordo::layers {

class Embeddings {
 public:
  Embeddings(const EncoderSpec& spec, std::unique_ptr<PositionalEncoding> positional_encoding);

  const PositionalEncoding& positional_encoding() const { return *positional_encoding_; }

  // Throws ordo::Error naming the sequence and token of any id or type out of range, before any
  // work.
  void validate(const EncoderInput& input) const;
  // Writes the packed embeddings [total_tokens, hidden] into `x`.
  void forward(ForwardContext& context, const EncoderInput& input, float* x) const;

 private:
  const EncoderSpec& spec_;
  std::unique_ptr<PositionalEncoding> positional_encoding_;
};

}  // namespace ordo::layers
