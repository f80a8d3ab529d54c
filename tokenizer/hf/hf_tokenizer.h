#pragma once
// A Hugging Face tokenizer.json, run as the tokenizers library runs it: added tokens, then
// normalizer, pre-tokenizer, model, post-processor; and decoder for ids back to text.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "post_processors.h"

namespace ordo::tokenizer::hf {

class AddedVocabulary;
class Decoder;
class Model;
class Normalizer;
class PreTokenizer;

class HfTokenizer {
 public:
  // Reads a tokenizer.json; every error names the file and the JSON path of the field at fault.
  static std::unique_ptr<HfTokenizer> from_file(const std::filesystem::path& path);
  // `label` names the document in errors (a file name).
  HfTokenizer(const nlohmann::json& document, const std::string& label);
  ~HfTokenizer();

  // The tokens of one text, without special tokens; spans are bytes of `text`, which must be
  // valid UTF-8 (checked by the caller). `which` is 0 for the first text, 1 for the second.
  Part encode_text(std::string_view text, int which) const;
  // The post-processor on one or two texts' parts: the parts of the result, in order.
  void post_process(std::vector<Part>& parts, bool add_special_tokens) const;
  size_t added_tokens(bool pair) const;

  // ids -> text through the decoder; unknown ids are dropped, special tokens too when asked.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  bool is_special(int32_t id) const;
  // Largest id + 1 over the model and the added tokens.
  int32_t vocab_size() const;
  // "truncation": {"max_length": N} in the file, when present.
  std::optional<size_t> truncation_max_length() const { return truncation_max_length_; }
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<AddedVocabulary> added_;
  std::optional<size_t> truncation_max_length_;
};

}  // namespace ordo::tokenizer::hf
