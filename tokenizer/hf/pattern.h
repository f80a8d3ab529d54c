#pragma once
// Where a pre-tokenizer or normaliser cuts text: ICU regular expressions (Hugging Face writes
// Oniguruma syntax; ICU accepts the constructs tokenizer.json files use, lookahead included),
// literal strings and character classes, and the five ways a split treats its delimiters.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aligned_text.h"

#include <unicode/uversion.h>

U_NAMESPACE_BEGIN
class RegexPattern;
class RegexMatcher;
U_NAMESPACE_END

namespace ordo::tokenizer::hf {

class JsonNode;

class Regex {
 public:
  // Throws ordo::Error at `where` (the field holding `pattern`) when ICU cannot compile it.
  Regex(const std::string& pattern, const JsonNode& where);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // The non-overlapping matches in `text`, left to right, as byte spans.
  void find_all(std::string_view text, std::vector<Span>& out) const;

 private:
  struct Matchers;  // idle matchers, taken one per call: an ICU matcher is not thread-safe
  std::unique_ptr<icu::RegexPattern> pattern_;
  std::unique_ptr<Matchers> matchers_;
};

// A tokenizer.json pattern: {"String": "..."} (a literal) or {"Regex": "..."}.
class Pattern {
 public:
  explicit Pattern(const JsonNode& node);
  void find_all(std::string_view text, std::vector<Span>& out) const;

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;
};

// The text cut into consecutive pieces that cover it, each flagged whether it is a delimiter.
struct Piece {
  Span span;
  bool is_match;
};
using Pieces = std::vector<Piece>;

// Matches (from find_all) -> pieces covering [0, size); an empty text is one empty piece.
Pieces pieces_from_matches(const std::vector<Span>& matches, size_t size);
// Every code point for which `is_delimiter(c)` holds is a one-character delimiter.
template <typename Predicate>
Pieces pieces_from_chars(std::string_view text, Predicate is_delimiter) {
  std::vector<Span> matches;
  for (size_t i = 0; i < text.size();) {
    const size_t begin = i;
    if (is_delimiter(next_code_point(text, i))) matches.push_back({begin, i});
  }
  return pieces_from_matches(matches, text.size());
}
void invert(Pieces& pieces);

enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };
SplitBehavior parse_behavior(const JsonNode& node);
// The spans kept as separate pieces under `behavior` (tokenizers' NormalizedString::split).
std::vector<Span> split_spans(const Pieces& pieces, SplitBehavior behavior);

}  // namespace ordo::tokenizer::hf
