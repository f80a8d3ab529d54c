#include "model.h"

#include "bert.h"
#include "ordo/error.h"

namespace ordo::models {

LoadedModel load_model(const std::filesystem::path& directory, const LoadOptions& options) {
  if (!std::filesystem::is_directory(directory)) {
    throw Error(directory.string() + ": model directory not found");
  }
  const io::JsonFile config(directory / "config.json");
  LoadedModel model;
  model.directory = directory;
  model.model_type = config.string("model_type", "bert");
  if (model.model_type != "bert") {
    config.fail("model_type",
                "has unsupported value \"" + model.model_type + "\" (supported: bert)");
  }
  const Checkpoint checkpoint(directory, options.check_weights);
  model.spec = load_bert(checkpoint, config);
  const bool has_tokenizer = std::filesystem::exists(directory / "tokenizer.model") ||
                             std::filesystem::exists(directory / "sentencepiece.bpe.model") ||
                             std::filesystem::exists(directory / "spiece.model") ||
                             std::filesystem::exists(directory / "source.spm");
  if (has_tokenizer) {
    model.tokenizer = std::make_shared<const tokenizer::Tokenizer>(
        tokenizer::Tokenizer::from_directory(directory));
  }
  return model;
}

const tokenizer::Tokenizer& LoadedModel::require_tokenizer() const {
  if (!tokenizer) {
    throw Error(
        directory.string() +
        ": no tokenizer in this model directory (looked for tokenizer.model, "
        "sentencepiece.bpe.model, spiece.model, source.spm + vocab.json); pass token ids instead");
  }
  return *tokenizer;
}

}  // namespace ordo::models
