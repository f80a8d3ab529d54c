#pragma once
// What every `ordo` command shares: finding and loading a model, threads, exit codes.
#include <filesystem>
#include <optional>
#include <string>

#include "args.h"
#include "model.h"
#include "ordo/encoder.h"

namespace ordo::cli {

constexpr int kExitRuntimeError = 1;
constexpr int kExitUsageError = 2;

// The options every model-running command accepts.
inline const std::set<std::string> kModelOptions = {"--model", "--pe", "--threads"};

// The bundled sinusoidal model: $ORDO_MODELS_DIR, then <prefix>/share/ordo/models beside the
// installed binary, then the source tree's models/ (a build that was not installed).
std::filesystem::path default_model_directory();
// The directory holding both bundled models and heldout.txt, found the same way.
std::filesystem::path bundled_models_directory();

struct LoadedEncoder {
  models::LoadedModel model;
  Encoder encoder;
  double load_ms = 0.0;
};

// Applies --threads, loads --model (or the default) and applies --pe.
LoadedEncoder load_encoder(const Args& args);
// Loads `directory`, optionally under another positional encoding.
LoadedEncoder load_encoder(const std::filesystem::path& directory,
                           std::optional<PositionKind> pe = std::nullopt);
// --threads N, applied before any model is loaded.
void apply_threads(const Args& args);

// Tokens the encoder accepts per sequence: the learned table's size, else the tokenizer's
// declared model_max_length, else 0 (no limit: sinusoidal and `none` run any length).
size_t max_tokens(const LoadedEncoder& loaded);

// Tokenizes `text` with the model's tokenizer (BERT/XLM-R/Marian template as the model
// declares), truncating to max_tokens() with a warning on stderr naming `label`.
tokenizer::Encoding tokenize(const LoadedEncoder& loaded, std::string_view text,
                             const std::string& label);

// --pooling KIND (cls | mean | max | mean_sqrt_len) and, if `with_normalize`, --normalize.
ForwardOptions pooling_options(const Args& args, bool with_normalize = true);
// The pooling and normalisation a sentence-transformers model declares, where the user gave
// no --pooling (and, if `with_normalize`, for normalisation).
void apply_declared_pooling(ForwardOptions& forward, const Args& args,
                            const models::LoadedModel& model, bool with_normalize = true);

// Both texts as one pair input (the model's pair template, token types 1 for the second),
// longest-first truncation to max_tokens() with a warning.
tokenizer::Encoding tokenize_pair(const LoadedEncoder& loaded, std::string_view first,
                                  std::string_view second);

// `text` padded with spaces to `width` terminal columns (CJK and emoji count two).
std::string pad_to(const std::string& text, size_t width);

// Writes `text` to a temporary file beside `path` and renames it into place; throws an
// ordo::Error naming the path when it cannot.
void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace ordo::cli
