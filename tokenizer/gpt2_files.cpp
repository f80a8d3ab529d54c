#include "gpt2_files.h"

#include <fstream>
#include <string>

#include "ordo/error.h"

namespace ordo::tokenizer {
namespace {

std::string special(const nlohmann::json& settings, const char* field, const char* fallback) {
  if (!settings.contains(field)) return fallback;
  const auto& value = settings.at(field);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value.at("content").is_string())
    return value.at("content").get<std::string>();
  return fallback;
}

}  // namespace

nlohmann::json gpt2_tokenizer_json(const std::filesystem::path& vocab_json,
                                   const std::filesystem::path& merges_txt,
                                   const nlohmann::json& settings) {
  std::ifstream vocab_in(vocab_json, std::ios::binary);
  if (!vocab_in) throw Error(vocab_json.string() + ": cannot open (merges.txt needs it)");
  nlohmann::json vocab;
  try {
    vocab = nlohmann::json::parse(vocab_in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(vocab_json.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!vocab.is_object()) throw Error(vocab_json.string() + ": expected an object token -> id");
  std::ifstream merges_in(merges_txt, std::ios::binary);
  if (!merges_in) throw Error(merges_txt.string() + ": cannot open");
  nlohmann::json merges = nlohmann::json::array();
  size_t line_number = 0;
  for (std::string line; std::getline(merges_in, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_number == 1 && line.rfind("#version", 0) == 0)) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      throw Error(merges_txt.string() + ": line " + std::to_string(line_number) +
                  ": expected two pieces separated by one space");
    merges.push_back(line);
  }
  // GPT-2 itself (no <s> and </s>, or declared so) has no template; RoBERTa and its kin do.
  const std::string tokenizer_class =
      settings.contains("tokenizer_class") && settings["tokenizer_class"].is_string()
          ? settings["tokenizer_class"].get<std::string>()
          : "";
  const std::string cls = special(settings, "cls_token", "<s>");
  const std::string sep = special(settings, "sep_token", "</s>");
  const bool gpt2 = tokenizer_class.rfind("GPT2Tokenizer", 0) == 0 || !vocab.contains(cls) ||
                    !vocab.contains(sep);
  const char* fallback = gpt2 ? "<|endoftext|>" : nullptr;
  const std::string bos = special(settings, "bos_token", fallback ? fallback : "<s>");
  const std::string eos = special(settings, "eos_token", fallback ? fallback : "</s>");
  const std::string unk = special(settings, "unk_token", fallback ? fallback : "<unk>");
  const std::string pad = special(settings, "pad_token", fallback ? fallback : "<pad>");
  const std::string mask = special(settings, "mask_token", fallback ? fallback : "<mask>");
  const bool add_prefix_space =
      settings.contains("add_prefix_space") && settings["add_prefix_space"].is_boolean()
          ? settings["add_prefix_space"].get<bool>()
          : false;
  auto id_of = [&](const std::string& token) {
    if (!vocab.contains(token) || !vocab[token].is_number_integer())
      throw Error(vocab_json.string() + ": the special token '" + token +
                  "' is not in the vocabulary");
    return vocab[token].get<int64_t>();
  };
  nlohmann::json added = nlohmann::json::array();
  for (const std::string& token : {bos, pad, eos, unk, cls, sep, mask}) {
    bool seen = false;
    for (const auto& entry : added) seen = seen || entry["content"] == token;
    if (seen || !vocab.contains(token)) continue;
    added.push_back({{"id", id_of(token)},
                     {"content", token},
                     {"single_word", false},
                     {"lstrip", !gpt2 && token == mask},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  // As transformers' GPT2Converter and RobertaConverter write them.
  const nlohmann::json post_processor =
      gpt2 ? nlohmann::json{{"type", "ByteLevel"},
                            {"add_prefix_space", true},
                            {"trim_offsets", false},
                            {"use_regex", true}}
           : nlohmann::json{{"type", "RobertaProcessing"},
                            {"sep", {sep, id_of(sep)}},
                            {"cls", {cls, id_of(cls)}},
                            {"trim_offsets", true},
                            {"add_prefix_space", add_prefix_space}};
  return {
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "ByteLevel"},
        {"add_prefix_space", add_prefix_space},
        {"trim_offsets", true},
        {"use_regex", true}}},
      {"post_processor", post_processor},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

}  // namespace ordo::tokenizer
