#pragma once
// The typed settings of ordo::Model: enums for what Options names by strings (the strings stay,
// for the CLI and config files, and convert both ways here), the options of one call, and what
// a loaded model reports about itself.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ordo/export.h"

namespace ordo {

// How a sentence vector is made from an input's real tokens (Options::pooling has the string
// forms). Not named Pooling: the engine, inside libordo, has an enum of that name.
enum class PoolingMode {
  mean,
  cls,            // the first token
  max,            // per component
  mean_sqrt_len,  // sum / sqrt(tokens)
  pooler,         // Hugging Face's pooler_output, tanh(dense(first token))
};
// The number type of the projections (Options::dtype).
enum class DType { f32, bf16, int8 };
// How the model knows token positions (Options::positional_encoding).
enum class PositionalEncoding {
  none,
  sinusoidal,
  sinusoidal_blocked,
  learned,
  rotary,
  alibi,
  relative_key,
  relative_key_query,
  relative_bias,
};

// The string forms ("mean_sqrt_len", "bf16", "sinusoidal-blocked", ...). The parse functions
// throw ordo::Error naming the value and listing the accepted ones.
ORDO_API const char* to_string(PoolingMode pooling);
ORDO_API const char* to_string(DType dtype);
ORDO_API const char* to_string(PositionalEncoding encoding);
ORDO_API PoolingMode parse_pooling_mode(const std::string& name);
ORDO_API DType parse_dtype(const std::string& name);
ORDO_API PositionalEncoding parse_positional_encoding(const std::string& name);

// Options of one encode* call. An empty field takes the model's setting (Model::info()).
struct EncodeOptions {
  std::optional<bool> output_hidden_states;
  std::optional<bool> output_attentions;
  std::optional<PoolingMode> pooling;
  std::optional<bool> normalize;
};

// Options of one Model::embed call.
struct EmbedOptions {
  // Texts per forward pass: memory grows with it (and with the longest text), not with the
  // number of texts. 1 to 4096.
  size_t batch_size = 32;
  std::optional<PoolingMode> pooling;  // empty: the model's
  std::optional<bool> normalize;       // empty: the model's
  // Matryoshka truncation: keep the first `dimensions` components (1 to the hidden size; 0
  // takes the model's, Options::dimensions), then normalise if normalize is in effect, so that
  // a truncated vector is a unit vector again.
  size_t dimensions = 0;
  // Put literally before every text (e.g. "query: " for E5-style models) instead of the
  // model's prompt (Options::prompt); "" keeps the model's.
  std::string prompt;
  // Called after every batch with the texts done so far and the total, on the calling thread.
  std::function<void(size_t done, size_t total)> progress;
  // When set and true, embed stops before its next batch and throws ordo::Error "... cancelled".
  const std::atomic<bool>* cancel = nullptr;
};

// What a loaded model is and how it runs: the settings in effect, after the checkpoint's and
// the directory's own declarations were applied to Options.
struct ModelInfo {
  std::string family;  // config.json's model_type, e.g. "bert"
  PositionalEncoding positional_encoding = PositionalEncoding::none;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t vocab_size = 0;
  size_t max_tokens = 0;  // 0: no limit
  PoolingMode pooling = PoolingMode::mean;
  bool normalize = false;
  int64_t dimensions = 0;  // floats per sentence vector (Options::dimensions or hidden_size)
  std::string prompt;      // the sentence-transformers prompt in effect, by name; "" for none
  DType dtype = DType::f32;
  int threads = 0;  // OpenMP threads per call
  std::string isa;  // the instruction set ordo's kernels run, e.g. "avx2 (the CPU has avx512)"
  bool has_tokenizer = false;
  bool has_masked_lm_head = false;  // fill_mask and masked_lm_logits need it
  bool has_pooler = false;          // PoolingMode::pooler needs it
};

// One candidate for a masked token.
struct FillPrediction {
  std::string token;  // the vocabulary piece
  int32_t id = 0;
  double probability = 0.0;  // softmax over the whole vocabulary
};

// The predictions for one mask token of a text, most probable first.
struct MaskFill {
  size_t position = 0;  // the mask's index among the input's tokens (special tokens included)
  std::vector<FillPrediction> predictions;
};

}  // namespace ordo
