#include "models.h"

#include "json_node.h"

namespace ordo::tokenizer::hf {

std::unique_ptr<Model> make_wordpiece(const JsonNode& node);
std::unique_ptr<Model> make_bpe(const JsonNode& node);
std::unique_ptr<Model> make_unigram(const JsonNode& node);

std::unique_ptr<Model> make_model(const JsonNode& node) {
  node.require_object();
  // Files written by old versions of tokenizers have no "type"; their fields tell the model.
  std::string type;
  if (node.has("type"))
    type = node.type();
  else if (node.has("merges"))
    type = "BPE";
  else if (node.has("unk_token") && node.has("vocab") && node.at("vocab").value().is_object())
    type = "WordPiece";
  else if (node.has("vocab") && node.at("vocab").value().is_array())
    type = "Unigram";
  if (type == "WordPiece") return make_wordpiece(node);
  if (type == "BPE") return make_bpe(node);
  if (type == "Unigram") return make_unigram(node);
  if (type.empty()) node.fail("the model has no \"type\" and its fields match no known model");
  node.at("type").fail("unsupported model type '" + type +
                       "' (supported: WordPiece, BPE, Unigram)");
}

}  // namespace ordo::tokenizer::hf
