#pragma once
// tokenizer.json "pre_tokenizer": BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit,
// Metaspace, Split, Punctuation, Digits, UnicodeScripts and Sequence: the normalised text cut
// into the words the model sees, each keeping its original byte spans.
#include <cstdint>
#include <memory>
#include <vector>

#include "aligned_text.h"

namespace ordo::tokenizer::hf {

class JsonNode;

struct Segment {
  AlignedText text;
  int32_t added_id = -1;  // >= 0: an added token matched here; no pre-tokenizer or model touches it
};
using Segments = std::vector<Segment>;

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(Segments& segments) const = 0;
};

// null -> nullptr. Unknown types and bad fields throw ordo::Error naming the JSON path.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonNode& node);

// GPT-2's map from bytes to printable characters (byte-level BPE), and back (-1: not a byte).
char32_t byte_to_char(uint8_t byte);
int char_to_byte(char32_t c);

}  // namespace ordo::tokenizer::hf
