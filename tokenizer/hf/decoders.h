#pragma once
// tokenizer.json "decoder": WordPiece, ByteLevel, Metaspace, ByteFallback, Fuse, Strip,
// Replace, BPEDecoder and Sequence, each rewriting the list of token strings as tokenizers'
// decode_chain does; the results are then concatenated.
#include <memory>
#include <string>
#include <vector>

namespace ordo::tokenizer::hf {

class JsonNode;

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// null -> nullptr (tokens are then joined with spaces). Unknown types throw naming the path.
std::unique_ptr<Decoder> make_decoder(const JsonNode& node);

}  // namespace ordo::tokenizer::hf
