#pragma once
// What every `ordo` command shares: finding and loading a model, threads, exit codes.
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "core/encoder.h"
#include "model.h"

namespace ordo::cli {

constexpr int kExitRuntimeError = 1;
constexpr int kExitUsageError = 2;

// The options and flags every model-running command accepts.
inline const std::set<std::string> kModelOptions = {"--model", "--pe", "--threads"};
inline const std::set<std::string> kModelFlags = {"--check-weights"};
// `flags` plus kModelFlags.
std::set<std::string> with_model_flags(std::set<std::string> flags);

// Tokens per sequence the CLI runs. Attention memory grows with the square of the length
// (4096 tokens: 64 MiB per head and layer), so encodings without a length limit of their own
// (sinusoidal, none) would otherwise try a megabyte of text as one 300 000-token sequence
// and ask for terabytes. Longer inputs are an error naming this limit.
constexpr size_t kMaxTokensPerSequence = 4096;
// Throws an ordo::Error naming `label` when `tokens` exceeds kMaxTokensPerSequence.
void check_sequence_length(size_t tokens, const std::string& label);

// The bundled sinusoidal model: $ORDO_MODELS_DIR, then <prefix>/share/ordo/models beside the
// installed binary, then the source tree's models/ (a build that was not installed).
std::filesystem::path default_model_directory();
// The directory holding both bundled models and heldout.txt, found the same way.
std::filesystem::path bundled_models_directory();

struct LoadedEncoder {
  models::LoadedModel model;
  Encoder encoder;
  double load_ms = 0.0;
  size_t max_tokens = 0;  // --max-tokens, when given: replaces what the model declares
};

// Applies --threads, loads --model (or the default) and applies --pe, --check-weights and, for
// the commands that take it, --max-tokens (checked against the encoding's positions).
LoadedEncoder load_encoder(const Args& args);
// Loads `directory`, optionally under another positional encoding.
LoadedEncoder load_encoder(const std::filesystem::path& directory,
                           std::optional<PositionKind> pe = std::nullopt,
                           const models::LoadOptions& options = {},
                           ComputeType compute = ComputeType::f32);
// --dtype f32|bf16|int8 (for the commands that accept it).
ComputeType parse_dtype(const Args& args);
// --threads N, applied before any model is loaded.
void apply_threads(const Args& args);

// Tokens the encoder accepts per sequence: the learned or relative_key table's size, else the
// tokenizer's declared model_max_length, else 0 (no limit: the other kinds run any length).
size_t max_tokens(const LoadedEncoder& loaded);

// Tokenizes `text` with the model's tokenizer (BERT/XLM-R/Marian template as the model
// declares), truncating to max_tokens() with a warning on stderr naming `label`.
tokenizer::Encoding tokenize(const LoadedEncoder& loaded, std::string_view text,
                             const std::string& label, bool warn_if_truncated = true);

// --pooling KIND (cls | mean | max | mean_sqrt_len | pooler) and, if `with_normalize`, --normalize.
ForwardOptions pooling_options(const Args& args, bool with_normalize = true);
// The pooling and normalisation a sentence-transformers model declares, where the user gave
// no --pooling (and, if `with_normalize`, for normalisation).
void apply_declared_pooling(ForwardOptions& forward, const Args& args,
                            const models::LoadedModel& model, bool with_normalize = true);

// --prompt NAME / --no-prompt against the directory's config_sentence_transformers.json: the
// prompt whose prefix goes before every text (none for `from_ids`, where --prompt is an error).
models::Prompt chosen_prompt(const Args& args, const models::LoadedModel& model, bool from_ids);

// Both texts as one pair input (the model's pair template, token types 1 for the second),
// longest-first truncation to max_tokens() with a warning.
tokenizer::Encoding tokenize_pair(const LoadedEncoder& loaded, std::string_view first,
                                  std::string_view second);

// `text` padded with spaces to `width` terminal columns (CJK and emoji count two).
std::string pad_to(const std::string& text, size_t width);
// Terminal columns of a UTF-8 string: CJK, full-width forms and emoji take two.
size_t display_width(const std::string& text);

// Writes `text` to `path` through OutputFile (a temporary renamed into place, a device
// written directly); throws an ordo::Error naming the path when it cannot.
void write_text_file(const std::filesystem::path& path, const std::string& text);

// The longest input line ordo reads (encode --input, compare-pe --text): far beyond any text
// worth encoding, small next to memory. /dev/zero or a binary file fails here, by name,
// instead of growing one line until memory runs out.
constexpr size_t kMaxLineBytes = size_t{16} << 20;
// The lines of `in`, without their '\n'; `label` names the source in errors.
std::vector<std::string> read_lines(std::istream& in, const std::string& label);

// Throws an ordo::Error if any output the command is about to report is NaN or Inf: such
// numbers come from NaN/Inf weights (or an overflow) and must not pass for an answer.
void require_finite(const EncoderOutput& output);
void require_finite(const float* values, int64_t count, const std::string& what);

// Flushes standard output and throws an ordo::Error with the system's reason if any write to
// it failed (a full disk, a closed pipe while SIGPIPE is ignored). `earlier_error` is the
// errno a caller saw right after a write failed, used when the flush has none to give.
void check_stdout(int earlier_error = 0);

}  // namespace ordo::cli
