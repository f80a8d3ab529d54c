#pragma once
// sentence-transformers model directories: modules.json lists the pipeline (Transformer, then
// Pooling with its 1_Pooling/config.json, then optionally Normalize). ordo runs the Transformer
// itself and applies the declared pooling and normalisation, so that `ordo encode` gives the
// vector SentenceTransformer.encode gives. A module it cannot reproduce (Dense, weighted mean,
// several pooling modes at once, ...) is an error naming the file, never a different vector.
#include <filesystem>
#include <optional>

#include "core/encoder.h"

namespace ordo::models {

struct SentencePipeline {
  std::optional<Pooling> pooling;  // from the Pooling module, when there is one
  bool normalize = false;          // a Normalize module follows
};

// Reads <directory>/modules.json when present; an empty pipeline otherwise.
SentencePipeline read_sentence_pipeline(const std::filesystem::path& directory);

}  // namespace ordo::models
