#pragma once
// Model::Impl, shared by the files that implement ordo::Model (model.cpp: load and encode*;
// embed.cpp; text.cpp: tokenizer and MLM access). Internal to api/.
#include <omp.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/encoder.h"
#include "model.h"
#include "ordo/model.h"
#include "tokenizer.h"

namespace ordo {

// OpenMP's thread count is a setting of the calling thread (its nthreads-var), which oneDNN
// reads when it creates and runs a primitive. A call sets the model's count on its own thread
// and gives the caller back its own setting afterwards.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads) : previous_(omp_get_max_threads()) {
    if (threads != previous_) omp_set_num_threads(threads);
  }
  ~ThreadCountScope() {
    if (omp_get_max_threads() != previous_) omp_set_num_threads(previous_);
  }
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int previous_;
};

// Every option, checked before any file is read.
struct CheckedOptions {
  explicit CheckedOptions(const Options& options);

  int threads;
  ForwardOptions forward;
  std::optional<PositionKind> position_kind;
  ComputeType compute;
};

// The input of a masked text: its encoding and the rows of its mask tokens.
struct MaskedInput {
  tokenizer::Encoding encoding;
  std::vector<std::pair<int64_t, int64_t>> mask_rows;  // (sequence 0, token)
};

std::vector<Token> to_tokens(const tokenizer::Encoding& encoding);

struct Model::Impl {
  Impl(const std::filesystem::path& directory, const Options& given, const CheckedOptions& checked);

  const tokenizer::Tokenizer& require_tokenizer(const char* call) const;

  // The load-time forward options with `call`'s fields over them; throws ordo::Error naming
  // `name` (the function) when the pooling needs a pooler the checkpoint lacks.
  ForwardOptions forward_for(const char* name, const EncodeOptions& call) const;

  // Tokenizes input `index` by `encode(limit, truncation)`, naming the call and the input in
  // any error.
  using Tokenize = std::function<tokenizer::Encoding(size_t, tokenizer::Truncation)>;
  tokenizer::Encoding tokenize(const char* call, size_t index, const Tokenize& encode) const;

  // One forward pass on the model's threads, errors prefixed with `call`.
  EncoderOutput forward_pass(const char* call, const EncoderInput& input,
                             const ForwardOptions& forward) const;
  Result run(const char* call, const EncoderInput& input, std::vector<std::vector<Token>> tokens,
             std::vector<size_t> truncated, const ForwardOptions& forward) const;
  Result run_encodings(const char* call, std::vector<tokenizer::Encoding> encodings,
                       const ForwardOptions& forward) const;

  // The text with its masks, checked for an MLM head (and, with need_mask, for a mask).
  MaskedInput masked_input(const char* call, std::string_view text, bool need_mask) const;
  // The MLM head's logits [rows, vocab] for `rows` of the masked text's forward pass.
  Tensor logits_of(const char* call, const MaskedInput& input,
                   const std::vector<std::pair<int64_t, int64_t>>& rows) const;

  Options options;
  int threads;
  ComputeType compute;
  ForwardOptions forward;  // the load-time settings, declarations of the directory applied
  models::LoadedModel model;
  Encoder encoder;
  size_t max_tokens;
  models::Prompt prompt;  // the sentence-transformers prompt encode() puts before texts
};

}  // namespace ordo
