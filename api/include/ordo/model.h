#pragma once
// Load a model directory once; encode text or token ids with it from any number of threads.
//
//   const ordo::Model model = ordo::Model::load("path/to/model");
//   const ordo::Result result = model.encode({"The cat chases the mouse."});
//   ordo::FloatSpan vector = result.sentence_vector(0);  // model.dimensions() floats
//   const ordo::Array vectors = model.embed(many_texts);  // [N, dimensions], batched by length
//
// Thread-safety: after load() a Model is immutable. Every const member may be called from any
// number of threads at once on one shared Model, and each call gives exactly the result the
// same call would give alone: the weights and compiled kernels are shared, the scratch memory
// belongs to the calling thread (kept for its next call, sized by the largest input it ran, and
// freed when the thread exits), and ordo keeps no global mutable state. Copies of a Model are
// cheap handles to the same loaded weights; the weights are freed with the last handle.
//
// Threads inside a call: every call runs its matrix products on an OpenMP team of threads()
// threads (oneDNN inside ordo uses OpenMP). ordo sets that count for the calling thread during
// the call and restores the caller's own setting afterwards. An application calling from N
// threads at once runs N teams, N x threads() threads in all: choose Options::threads so that
// N x threads <= cores (one thread per call when N >= cores), or the teams fight over the
// cores and every call slows down. With several teams, OMP_WAIT_POLICY=passive in the
// environment keeps idle OpenMP threads from spinning. A call made from inside an OpenMP
// parallel region of the application runs single-threaded (nested parallelism is off).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ordo/error.h"
#include "ordo/export.h"
#include "ordo/result.h"
#include "ordo/types.h"
#include "ordo/version.h"

namespace ordo {

// Every field is checked by Model::load, which throws ordo::Error naming the field and value.
struct Options {
  // Run the weights under this positional encoding instead of the checkpoint's own: "" keeps
  // the checkpoint's; on the input "sinusoidal", "sinusoidal-blocked" or "learned"; inside
  // attention "rotary", "alibi", "relative_key", "relative_key_query" or "relative_bias";
  // "none" removes all position information, so attention is blind to word order. "learned",
  // "relative_key*" and "relative_bias" need their tables in the checkpoint.
  std::string positional_encoding;
  // How Result::pooled is made from an input's real tokens: "" (what a sentence-transformers
  // directory declares in modules.json, else mean), "mean", "cls" (the first token), "max"
  // (per component), "mean_sqrt_len" (sum / sqrt(tokens)) or "pooler" (Hugging Face's
  // pooler_output, tanh(dense(first token)); load throws if the checkpoint has no pooler).
  std::string pooling;
  // Scale each pooled vector to unit L2 norm (cosine = dot product). A sentence-transformers
  // directory with a Normalize module turns it on.
  bool normalize = false;
  // A prompt of the directory's config_sentence_transformers.json, by name: its prefix string
  // is prepended to every text Model::encode tokenizes, as SentenceTransformer.encode(...,
  // prompt_name=...) does (nomic: "search_query" -> "search_query: "). Unset: the file's
  // default_prompt_name, if any; "": no prompt. Pairs and ids are never prefixed. An unknown
  // name makes load throw, listing the available ones.
  std::optional<std::string> prompt;
  // Matryoshka truncation: keep the first `dimensions` components of each pooled vector, then
  // normalise if normalize is on (nomic-embed-text-v1.5: 768, 512, 256, 128 or 64). 0 keeps
  // all; otherwise 1 .. hidden_size(). Unlike sentence-transformers' truncate_dim, which cuts
  // after its Normalize module, the cut vector is normalised again.
  int64_t dimensions = 0;
  // OpenMP threads per call (see "Threads inside a call" above); 0 takes the OpenMP default
  // of the thread calling load(): OMP_NUM_THREADS, else one per core.
  int threads = 0;
  // Compute type of the four projections of every layer: "f32"; "bf16" (weights and inputs
  // rounded to bfloat16, f32 accumulation; only on CPUs with AVX512-BF16 or AMX, load() throws
  // elsewhere); or "int8" (s8 weights per channel, u8 activations per token). Speed and
  // accuracy of each: docs/performance.md.
  std::string dtype = "f32";
  // Texts longer than max_tokens(): true cuts them (longest text of a pair first) and reports
  // the count in Result::truncated; false throws ordo::Error naming the input.
  bool truncate = true;
  bool output_hidden_states = false;  // fill Result::hidden_states (a copy per layer)
  bool output_attentions = false;     // fill Result::attentions
};

class ORDO_API Model {
 public:
  // Reads `directory` (a Hugging Face layout: config.json, model.safetensors and, for text
  // input, a SentencePiece tokenizer such as tokenizer.model), checks every tensor's shape
  // against the config and every option, and compiles the kernels. Throws ordo::Error naming
  // the file, tensor, field or option at fault. Thread-safe (loads share nothing).
  static Model load(const std::filesystem::path& directory, const Options& options = {});

  // One input per UTF-8 text, in the model's template ([CLS] text [SEP] for BERT-like
  // models). Throws ordo::Error naming the input when a text is not valid UTF-8 or contains
  // NUL, when the model has no tokenizer, or when a text is too long and truncate is false.
  // No texts give an empty Result. `call` overrides the load-time outputs, pooling and
  // normalisation for this call only. Thread-safe.
  Result encode(const std::vector<std::string>& texts, const EncodeOptions& call = {}) const;
  // `first` and `second` as one input, the way a cross-encoder reads a pair
  // ([CLS] first [SEP] second [SEP], token types 0 then 1). Thread-safe.
  Result encode_pair(std::string_view first, std::string_view second,
                     const EncodeOptions& call = {}) const;
  // A batch of pairs, one input each. Thread-safe.
  Result encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                      const EncodeOptions& call = {}) const;
  // Token ids as they are, one input per row (no template is added, nothing is truncated);
  // token_types is empty (all 0) or one row per input of the same length. Throws ordo::Error
  // naming the input and token when an id or type is out of range or an input is longer than
  // a learned position table. Needs no tokenizer. Thread-safe.
  Result encode_ids(const std::vector<std::vector<int32_t>>& ids,
                    const std::vector<std::vector<int32_t>>& token_types = {},
                    const EncodeOptions& call = {}) const;

  // Sentence vectors only, [texts.size(), dimensions or hidden_size()], row i for texts[i].
  // The texts run in batches of similar length (longest first), so padding stays small and
  // memory is bounded by one batch, not by the number of texts. Each row equals encode()'s
  // sentence vector for that text alone. No texts give [0, dim]. Throws ordo::Error naming the
  // option at fault, or "cancelled" when options.cancel was set. Thread-safe.
  Array embed(const std::vector<std::string>& texts, const EmbedOptions& options = {}) const;

  // The tokens encode() would run for `text` (or the pair), template and truncation included:
  // ids, pieces, types and byte spans. Thread-safe.
  std::vector<Token> tokenize(std::string_view text) const;
  std::vector<Token> tokenize(std::string_view first, std::string_view second) const;
  // Tokens of `text` with special tokens, before any truncation: compare with max_tokens().
  size_t count_tokens(std::string_view text) const;
  // Ids back to text; special tokens are left out. Throws ordo::Error naming the first id out
  // of the vocabulary.
  std::string decode(const std::vector<int32_t>& ids) const;

  // The masked-language-model head on `text`, where the mask token's text ("[MASK]" for BERT
  // vocabularies) marks each token to predict: per mask, the top_k pieces with their
  // probabilities. Throws ordo::Error when the checkpoint has no MLM head, the text has no mask
  // or top_k is 0. Thread-safe.
  std::vector<MaskFill> fill_mask(std::string_view text, size_t top_k = 5) const;
  // The head's raw scores for every token of `text` (masks written as for fill_mask):
  // [tokens, vocab_size()], with tokenize_masked's tokens as rows. Thread-safe.
  Array masked_lm_logits(std::string_view text) const;
  std::vector<Token> tokenize_masked(std::string_view text) const;

  // What `ordo pair` computes: A and B encoded separately (the prompt before each, as
  // encode() does), their sentence cosine, and for every token they share how far its vector
  // and its attention row moved, with a verdict on the positional encoding. Throws ordo::Error
  // naming the option when layer or head is out of range. Thread-safe.
  PairComparison compare(std::string_view a, std::string_view b,
                         const PairOptions& options = {}) const;
  ModelInfo info() const;  // the settings in effect

  // Thread-safe accessors.
  const std::filesystem::path& directory() const;
  const Options& options() const;  // as given to load()
  int64_t hidden_size() const;     // floats per token vector (and per sentence vector, uncut)
  int64_t num_layers() const;
  int64_t num_heads() const;
  int64_t vocab_size() const;
  std::string positional_encoding() const;  // the encoding in use, e.g. "sinusoidal"
  // Most tokens per input, special tokens included: the size of the learned table or of the
  // relative_key distance tables, else the tokenizer's declared model_max_length; 0 when there
  // is no limit.
  size_t max_tokens() const;
  // The prompt in effect (Options::prompt, else the default): its name ("" for none).
  std::string prompt() const;
  // The text of config_sentence_transformers.json's prompt `name` (what EmbedOptions::prompt
  // takes to use it for one call); "" for "". An unknown name is an ordo::Error listing the
  // available ones.
  std::string prompt_text(const std::string& name) const;
  int64_t dimensions() const;  // floats per sentence vector: Options::dimensions or hidden_size()
  int threads() const;         // OpenMP threads per call
  bool has_tokenizer() const;  // false: only encode_ids() works

 private:
  struct Impl;
  explicit Model(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace ordo
