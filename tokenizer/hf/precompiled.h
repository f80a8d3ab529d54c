#pragma once
// tokenizer.json's "Precompiled" normalizer: the precompiled_charsmap of a SentencePiece model
// (nmt_nfkc in XLM-R, multilingual-e5, bge-m3, T5, ALBERT...), applied as Hugging Face's
// tokenizers library applies it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aligned_text.h"

namespace ordo::tokenizer::hf {

class JsonNode;

class PrecompiledCharsmap {
 public:
  // `node` is the base64 "precompiled_charsmap" string. A charsmap the Rust library refuses, or
  // would crash on when normalizing, throws ordo::Error through node.fail().
  explicit PrecompiledCharsmap(const JsonNode& node);

  // The rule of the shortest key that starts `chunk` (up to a NUL byte): its replacement.
  std::optional<std::string_view> transform(std::string_view chunk) const;
  // Rewrites `text` grapheme by grapheme, each output character keeping the original span
  // tokenizers gives it.
  void normalize(AlignedText& text) const;

 private:
  std::optional<std::string_view> value(size_t unit_index) const;
  void check_reachable_rules(const JsonNode& node) const;

  std::vector<uint32_t> units_;  // the Darts double array
  std::string normalized_;       // the replacements, each ended by a NUL
};

}  // namespace ordo::tokenizer::hf
