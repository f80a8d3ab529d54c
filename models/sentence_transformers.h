#pragma once
// sentence-transformers model directories: modules.json lists the pipeline (Transformer, then
// Pooling with its 1_Pooling/config.json, then optionally Normalize). ordo runs the Transformer
// itself and applies the declared pooling and normalisation, so that `ordo encode` gives the
// vector SentenceTransformer.encode gives. A module it cannot reproduce (Dense, weighted mean,
// several pooling modes at once, ...) is an error naming the file, never a different vector.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/encoder.h"

namespace ordo::models {

struct SentencePipeline {
  std::optional<Pooling> pooling;  // from the Pooling module, when there is one
  bool normalize = false;          // a Normalize module follows
  // config_sentence_transformers.json: prompt name -> the prefix prepended to each text (nomic:
  // "search_query" -> "search_query: "), and the one used when none is asked for ("": none).
  std::map<std::string, std::string> prompts;
  std::string default_prompt_name;
  // The Pooling module's include_prompt: false leaves the prompt's tokens out of the pooling,
  // which ordo does not do, so a prompt then is an error.
  bool include_prompt = true;
};

// Reads <directory>/modules.json and <directory>/config_sentence_transformers.json when
// present; an empty pipeline otherwise.
SentencePipeline read_sentence_pipeline(const std::filesystem::path& directory);

// The prompt a run uses, as SentenceTransformer.encode(prompt_name=...) picks it.
struct Prompt {
  std::string name;  // "" when no prompt applies
  std::string text;  // prepended to every input text before tokenizing
};
// `requested`: nullopt takes the directory's default_prompt_name (if any), "" turns prompts
// off, anything else must be one of the prompts. Errors name `option` (the flag or field that
// asked), the file, and the available names.
Prompt choose_prompt(const SentencePipeline& pipeline, const std::filesystem::path& directory,
                     const std::optional<std::string>& requested, const std::string& option);

}  // namespace ordo::models
