#include "hf_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "added_vocabulary.h"
#include "decoders.h"
#include "json_node.h"
#include "models.h"
#include "normalizers.h"
#include "ordo/error.h"
#include "pre_tokenizers.h"

namespace ordo::tokenizer::hf {

std::unique_ptr<HfTokenizer> HfTokenizer::from_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the file");
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  return std::make_unique<HfTokenizer>(document, path.string());
}

HfTokenizer::HfTokenizer(const nlohmann::json& document, const std::string& label) : label_(label) {
  const JsonNode root(document, label);
  root.require_object();
  // Known fields only: a field of a newer format must not be silently ignored.
  for (const auto& [key, value] : document.items()) {
    static const char* const kKnown[] = {"version",      "truncation",     "padding",
                                         "added_tokens", "normalizer",     "pre_tokenizer",
                                         "model",        "post_processor", "decoder"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      root.member(key, value).fail("unknown top-level field");
  }
  if (root.has("truncation")) {
    const JsonNode truncation = root.at("truncation");
    truncation.require_object();
    if (truncation.has("max_length"))
      truncation_max_length_ =
          static_cast<size_t>(truncation.at("max_length").integer(0, int64_t{1} << 40));
  }
  if (root.has("padding")) root.at("padding").require_object();  // ignored: ordo never pads text
  normalizer_ = make_normalizer(root.at_or_null("normalizer"));
  pre_tokenizer_ = make_pre_tokenizer(root.at_or_null("pre_tokenizer"));
  model_ = make_model(root.at("model"));
  post_processor_ = make_post_processor(root.at_or_null("post_processor"));
  decoder_ = make_decoder(root.at_or_null("decoder"));
  added_ = std::make_unique<AddedVocabulary>(root.at_or_null("added_tokens"), normalizer_.get());
}

HfTokenizer::~HfTokenizer() = default;

Part HfTokenizer::encode_text(std::string_view text, int which) const {
  Segments segments = added_->extract_and_normalize(text, normalizer_.get());
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(segments);
  Part part;
  part.reserve(segments.size());  // at least a token per segment
  std::vector<Token> word;
  for (const Segment& segment : segments) {
    if (segment.added_id >= 0) {
      part.add({segment.added_id, segment.text.text(), segment.text.original()}, which, which,
               false);
      continue;
    }
    word.clear();
    model_->tokenize(segment.text.text(), word);
    for (Token& token : word) {
      token.span = segment.text.original(token.span.begin, token.span.end);
      part.add(std::move(token), which, which, false);
    }
  }
  return part;
}

void HfTokenizer::post_process(std::vector<Part>& parts, bool add_special_tokens) const {
  if (post_processor_) post_processor_->process(parts, add_special_tokens);
}

size_t HfTokenizer::added_tokens(bool pair) const {
  return post_processor_ ? post_processor_->added_tokens(pair) : 0;
}

std::optional<int32_t> HfTokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* added = added_->find(token)) return added->id;
  return model_->token_to_id(token);
}

std::optional<std::string> HfTokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* added = added_->find(id)) return added->content;
  if (const std::string* token = model_->id_to_token(id)) return *token;
  return std::nullopt;
}

bool HfTokenizer::is_special(int32_t id) const {
  const AddedToken* added = added_->find(id);
  return added != nullptr && added->special;
}

int32_t HfTokenizer::vocab_size() const {
  return std::max(model_->vocab_size(), added_->largest_id() + 1);
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    auto token = id_to_token(id);
    if (!token) continue;
    if (skip_special_tokens && added_->is_special(*token)) continue;
    tokens.push_back(std::move(*token));
  }
  if (!decoder_) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
    return joined;
  }
  decoder_->decode_chain(tokens);
  std::string out;
  for (const std::string& token : tokens) out += token;
  return out;
}

}  // namespace ordo::tokenizer::hf
