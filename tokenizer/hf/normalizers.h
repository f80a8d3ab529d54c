#pragma once
// tokenizer.json "normalizer": BertNormalizer, NFC/NFD/NFKC/NFKD, Lowercase, StripAccents,
// Strip, Replace, Prepend, Precompiled (a SentencePiece charsmap, precompiled.h) and Sequence,
// as the tokenizers library applies them. Unicode data (categories, case, normal forms) comes
// from ICU.
#include <memory>

#include "aligned_text.h"

namespace ordo::tokenizer::hf {

class JsonNode;

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(AlignedText& text) const = 0;
};

// null -> nullptr. Unknown types and bad fields throw ordo::Error naming the JSON path.
std::unique_ptr<Normalizer> make_normalizer(const JsonNode& node);

// Shared with the pre-tokenizers: Rust's char::is_whitespace (the White_Space property) and
// the Unicode categories the tokenizers library tests.
bool is_white_space(char32_t c);
bool is_punctuation(char32_t c);  // tokenizers' is_bert_punc: ASCII punctuation or P*
// The regex crate's \w: Alphabetic, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(char32_t c);

}  // namespace ordo::tokenizer::hf
