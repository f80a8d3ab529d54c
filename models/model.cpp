#include "model.h"

#include "bert.h"
#include "ordo/error.h"

namespace ordo::models {

LoadedModel load_model(const std::filesystem::path& directory) {
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
  const Checkpoint checkpoint(directory);
  model.spec = load_bert(checkpoint, config);
  return model;
}

}  // namespace ordo::models
