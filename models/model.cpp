#include "model.h"

#include "albert.h"
#include "bert.h"
#include "distilbert.h"
#include "gte.h"
#include "marian.h"
#include "modernbert.h"
#include "mpnet.h"
#include "nomic_bert.h"
#include "ordo/error.h"
#include "roberta.h"

namespace ordo::models {
namespace {

using FamilyLoader = EncoderSpec (*)(const Checkpoint&, const io::JsonFile&);

struct Family {
  const char* model_type;
  FamilyLoader load;
};

// One entry per `model_type` a family file handles.
const Family kFamilies[] = {
    {"bert", load_bert},         {"roberta", load_roberta},       {"xlm-roberta", load_roberta},
    {"camembert", load_roberta}, {"distilbert", load_distilbert}, {"marian", load_marian},
    {"albert", load_albert},     {"mpnet", load_mpnet},           {"nomic_bert", load_nomic_bert},
    {"new", load_gte},           {"modernbert", load_modernbert},
};

FamilyLoader find_family(const io::JsonFile& config, const std::string& model_type) {
  std::string supported;
  for (const Family& family : kFamilies) {
    if (model_type == family.model_type) return family.load;
    supported += (supported.empty() ? "" : ", ") + std::string(family.model_type);
  }
  config.fail("model_type",
              "has unsupported value \"" + model_type + "\" (supported: " + supported + ")");
}

}  // namespace

LoadedModel load_model(const std::filesystem::path& directory, const LoadOptions& options) {
  if (!std::filesystem::is_directory(directory)) {
    throw Error(directory.string() + ": model directory not found");
  }
  const io::JsonFile config(directory / "config.json");
  LoadedModel model;
  model.directory = directory;
  model.model_type = config.string("model_type", "bert");
  const FamilyLoader load = find_family(config, model.model_type);
  const Checkpoint checkpoint(directory, options.check_weights);
  model.spec = load(checkpoint, config);
  model.sentence = read_sentence_pipeline(directory);
  if (tokenizer::has_tokenizer_file(directory)) {
    model.tokenizer = std::make_shared<const tokenizer::Tokenizer>(
        tokenizer::Tokenizer::from_directory(directory));
  }
  return model;
}

size_t max_tokens(const LoadedModel& model, const Encoder& encoder) {
  if (encoder.max_positions() > 0) return static_cast<size_t>(encoder.max_positions());
  return model.tokenizer ? model.tokenizer->model_max_length() : 0;
}

const tokenizer::Tokenizer& LoadedModel::require_tokenizer() const {
  if (!tokenizer) {
    std::string names;
    for (const std::string& name : tokenizer::tokenizer_file_names()) {
      names += (names.empty() ? "" : ", ") + name;
    }
    throw Error(directory.string() + ": no tokenizer in this model directory (looked for " + names +
                "); pass token ids instead");
  }
  return *tokenizer;
}

}  // namespace ordo::models
