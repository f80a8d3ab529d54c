#pragma once
// Loading a model directory: reads config.json, picks the family by `model_type`, and hands
// back the engine's generic encoder description.
#include <filesystem>
#include <string>

#include "ordo/encoder.h"

namespace ordo::models {

struct LoadedModel {
  std::filesystem::path directory;
  std::string model_type;
  EncoderSpec spec;
};

LoadedModel load_model(const std::filesystem::path& directory);

}  // namespace ordo::models
