#include "sentence_transformers.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "ordo/error.h"

namespace ordo::models {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": file not found (named by modules.json)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Pooling read_pooling(const std::filesystem::path& config_path) {
  const nlohmann::json config = read_json(config_path);
  if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
  struct Mode {
    const char* field;
    std::optional<Pooling> pooling;  // nullopt: a mode ordo does not implement
  };
  const Mode modes[] = {{"pooling_mode_cls_token", Pooling::cls},
                        {"pooling_mode_mean_tokens", Pooling::mean},
                        {"pooling_mode_max_tokens", Pooling::max},
                        {"pooling_mode_mean_sqrt_len_tokens", Pooling::mean_sqrt_len},
                        {"pooling_mode_weightedmean_tokens", std::nullopt},
                        {"pooling_mode_lasttoken", std::nullopt}};
  std::optional<Pooling> chosen;
  int enabled = 0;
  for (const Mode& mode : modes) {
    if (!config.contains(mode.field)) continue;
    const auto& value = config.at(mode.field);
    if (!value.is_boolean())
      throw Error(config_path.string() + ": " + mode.field + " must be true or false");
    if (!value.get<bool>()) continue;
    if (!mode.pooling)
      throw Error(config_path.string() + ": " + mode.field + " is not supported by ordo");
    chosen = mode.pooling;
    ++enabled;
  }
  if (enabled != 1)
    throw Error(config_path.string() + ": expected exactly one pooling mode set to true, found " +
                std::to_string(enabled) + " (ordo does not concatenate pooling modes)");
  return *chosen;
}

bool reads_include_prompt(const std::filesystem::path& config_path) {
  const nlohmann::json config = read_json(config_path);
  if (!config.contains("include_prompt")) return true;
  if (!config.at("include_prompt").is_boolean())
    throw Error(config_path.string() + ": include_prompt must be true or false");
  return config.at("include_prompt").get<bool>();
}

const char* const kPromptsFile = "config_sentence_transformers.json";

// prompts and default_prompt_name of config_sentence_transformers.json.
void read_prompts(const std::filesystem::path& directory, SentencePipeline& pipeline) {
  const auto path = directory / kPromptsFile;
  if (!std::filesystem::exists(path)) return;
  const nlohmann::json config = read_json(path);
  if (!config.is_object()) throw Error(path.string() + ": expected a JSON object");
  if (config.contains("prompts") && !config.at("prompts").is_null()) {
    const nlohmann::json& prompts = config.at("prompts");
    if (!prompts.is_object())
      throw Error(path.string() + ": prompts must be an object of name -> prefix string");
    for (const auto& [name, text] : prompts.items()) {
      if (!text.is_string())
        throw Error(path.string() + ": prompts[\"" + name + "\"] must be a string");
      pipeline.prompts[name] = text.get<std::string>();
    }
  }
  if (config.contains("default_prompt_name") && !config.at("default_prompt_name").is_null()) {
    const nlohmann::json& name = config.at("default_prompt_name");
    if (!name.is_string()) throw Error(path.string() + ": default_prompt_name must be a string");
    pipeline.default_prompt_name = name.get<std::string>();
    if (pipeline.prompts.count(pipeline.default_prompt_name) == 0)
      throw Error(path.string() + ": default_prompt_name \"" + pipeline.default_prompt_name +
                  "\" is not one of its prompts");
  }
}

}  // namespace

SentencePipeline read_sentence_pipeline(const std::filesystem::path& directory) {
  SentencePipeline pipeline;
  read_prompts(directory, pipeline);
  const auto modules_path = directory / "modules.json";
  if (!std::filesystem::exists(modules_path)) return pipeline;
  const nlohmann::json modules = read_json(modules_path);
  if (!modules.is_array()) throw Error(modules_path.string() + ": expected a JSON list of modules");
  for (const auto& module : modules) {
    if (!module.is_object() || !module.contains("type") || !module["type"].is_string())
      throw Error(modules_path.string() + ": every module needs a \"type\" string");
    const std::string type = module["type"];
    const std::string path = module.contains("path") && module["path"].is_string()
                                 ? module["path"].get<std::string>()
                                 : "";
    if (path.find("..") != std::string::npos || (!path.empty() && path.front() == '/'))
      throw Error(modules_path.string() + ": module path '" + path + "' leaves the directory");
    if (ends_with(type, ".Transformer")) {
      if (!path.empty())
        throw Error(modules_path.string() + ": the Transformer module lives in '" + path +
                    "'; point ordo at that directory instead");
    } else if (ends_with(type, ".Pooling")) {
      if (pipeline.pooling) throw Error(modules_path.string() + ": more than one Pooling module");
      pipeline.pooling = read_pooling(directory / path / "config.json");
      pipeline.include_prompt = reads_include_prompt(directory / path / "config.json");
    } else if (ends_with(type, ".Normalize")) {
      pipeline.normalize = true;
    } else {
      throw Error(modules_path.string() + ": module '" + type +
                  "' is not supported by ordo (supported: Transformer, Pooling, Normalize)");
    }
  }
  return pipeline;
}

Prompt choose_prompt(const SentencePipeline& pipeline, const std::filesystem::path& directory,
                     const std::optional<std::string>& requested, const std::string& option) {
  const std::string name = requested.value_or(pipeline.default_prompt_name);
  if (name.empty()) return {};
  const auto found = pipeline.prompts.find(name);
  const std::string file = (directory / kPromptsFile).string();
  if (found == pipeline.prompts.end()) {
    std::string names;
    for (const auto& prompt : pipeline.prompts) names += (names.empty() ? "" : ", ") + prompt.first;
    throw Error(option + " \"" + name + "\" is not a prompt of " + file +
                (names.empty() ? " (it defines none)" : " (available: " + names + ")"));
  }
  if (!pipeline.include_prompt) {
    throw Error(option + " \"" + name + "\": the Pooling module of " + directory.string() +
                " sets include_prompt false (the prompt's tokens left out of the pooling), "
                "which ordo does not support");
  }
  return {name, found->second};
}

}  // namespace ordo::models
