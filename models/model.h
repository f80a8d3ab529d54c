#pragma once
// Loading a model directory: reads config.json, picks the family by `model_type`, and hands
// back the engine's generic encoder description.
#include <filesystem>
#include <memory>
#include <string>

#include "core/encoder.h"
#include "sentence_transformers.h"
#include "tokenizer.h"

namespace ordo::models {

struct LoadedModel {
  std::filesystem::path directory;
  std::string model_type;
  EncoderSpec spec;
  // The tokenizer found in the directory, if any: id-only use needs none.
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  // sentence-transformers' declared pooling and normalisation (modules.json), if any.
  SentencePipeline sentence;

  // The tokenizer, or an ordo::Error naming the directory when it has none.
  const tokenizer::Tokenizer& require_tokenizer() const;
};

struct LoadOptions {
  // Scan every weight for NaN and Inf at load and name the first one found. Off by default:
  // weights are used in place from the mapped file and a scan reads all of them once.
  bool check_weights = false;
};

LoadedModel load_model(const std::filesystem::path& directory, const LoadOptions& options = {});

// Tokens per sequence the model accepts, special tokens included: the position table's size
// when `encoder` (built from `model`) runs a learned table or relative_key tables, else the
// tokenizer's declared model_max_length, else 0 (no limit: the other kinds run any length).
size_t max_tokens(const LoadedModel& model, const Encoder& encoder);

}  // namespace ordo::models
