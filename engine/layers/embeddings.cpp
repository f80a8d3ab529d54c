#include "layers/embeddings.h"

#include <string>

#include "ordo/error.h"

namespace ordo::layers {

Embeddings::Embeddings(const EncoderSpec& spec,
                       std::unique_ptr<PositionalEncoding> positional_encoding)
    : spec_(spec), positional_encoding_(std::move(positional_encoding)) {}

void Embeddings::validate(const EncoderInput& input) const {
  const int64_t type_vocab =
      spec_.token_type_embeddings.empty() ? 1 : spec_.token_type_embeddings.shape[0];
  if (!input.token_types.empty() && input.token_types.size() != input.ids.size()) {
    throw Error("token_types has " + std::to_string(input.token_types.size()) +
                " rows but the batch has " + std::to_string(input.ids.size()) + " sequences");
  }
  for (size_t s = 0; s < input.ids.size(); ++s) {
    const std::string where = "input sequence " + std::to_string(s);
    for (size_t t = 0; t < input.ids[s].size(); ++t) {
      const int32_t id = input.ids[s][t];
      if (id < 0 || id >= spec_.vocab_size) {
        throw Error(where + ", token " + std::to_string(t) + ": id " + std::to_string(id) +
                    " is outside the vocabulary [0, " + std::to_string(spec_.vocab_size) + ")");
      }
    }
    if (input.token_types.empty()) continue;
    if (input.token_types[s].size() != input.ids[s].size()) {
      throw Error(where + " has " + std::to_string(input.ids[s].size()) + " ids but " +
                  std::to_string(input.token_types[s].size()) + " token types");
    }
    for (size_t t = 0; t < input.token_types[s].size(); ++t) {
      const int32_t type = input.token_types[s][t];
      if (type < 0 || type >= type_vocab) {
        throw Error(where + ", token " + std::to_string(t) + ": token type " +
                    std::to_string(type) + " is outside [0, " + std::to_string(type_vocab) + ")");
      }
    }
  }
}

void Embeddings::forward(ForwardContext& context, const EncoderInput& input, float* x) const {
  const BatchLayout& layout = context.layout;
  // ALBERT: the tables are narrower than the encoder; sum and normalise them in the FFN
  // scratch (free until the first block), then project into x.
  const int64_t hidden = spec_.embedding_size > 0 ? spec_.embedding_size : spec_.hidden_size;
  const bool projected = !spec_.embedding_projection_weight.empty();
  float* out = x;
  if (projected) {
    out = context.workspace.intermediate.reserve(static_cast<size_t>(layout.total_tokens * hidden));
  }
  const float scale = spec_.embedding_scale;
  const bool has_types = !spec_.token_type_embeddings.empty();
  const auto sequences = static_cast<int64_t>(layout.lengths.size());

#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < sequences; ++s) {
    for (int64_t t = 0; t < layout.lengths[s]; ++t) {
      float* row = out + (layout.first_row[s] + t) * hidden;
      const float* word = spec_.word_embeddings.data + int64_t{input.ids[s][t]} * hidden;
      for (int64_t c = 0; c < hidden; ++c) row[c] = word[c] * scale;
      positional_encoding_->add_to(t, row);
      if (has_types) {
        const int64_t type = input.token_types.empty() ? 0 : input.token_types[s][t];
        const float* type_row = spec_.token_type_embeddings.data + type * hidden;
        for (int64_t c = 0; c < hidden; ++c) row[c] += type_row[c];
      }
    }
  }

  if (!spec_.embedding_norm_weight.empty()) {
    const auto norm = context.ops.layer_norm(layout.total_tokens, hidden, spec_.layer_norm_eps);
    (*norm)(context.stream, context.workspace.scratchpad, out, out,
            spec_.embedding_norm_weight.data, spec_.embedding_norm_bias.data);
  }
  if (projected) {
    const auto projection =
        context.ops.linear(hidden, spec_.hidden_size, std::nullopt, ops::Linear::Output::overwrite);
    (*projection)(context.stream, context.workspace.scratchpad, out, layout.total_tokens,
                  spec_.embedding_projection_weight.data, spec_.embedding_projection_bias.data, x);
  }
}

}  // namespace ordo::layers
