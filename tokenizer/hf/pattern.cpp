#include "pattern.h"

#include <unicode/regex.h>
#include <unicode/utext.h>

#include <algorithm>
#include <mutex>

#include "json_node.h"
#include "ordo/error.h"

namespace ordo::tokenizer::hf {
struct Regex::Matchers {
  std::mutex mutex;
  std::vector<std::unique_ptr<icu::RegexMatcher>> idle;
};

Regex::Regex(const std::string& pattern, const JsonNode& where)
    : matchers_(std::make_unique<Matchers>()) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse{};
  pattern_.reset(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern), 0, parse, status));
  if (U_FAILURE(status) || !pattern_) {
    where.fail("the regular expression does not compile (ICU: " + std::string(u_errorName(status)) +
               " at offset " + std::to_string(parse.offset) + ")");
  }
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(std::string_view text, std::vector<Span>& out) const {
  out.clear();
  if (text.empty()) return;
  std::unique_ptr<icu::RegexMatcher> matcher;
  {
    std::lock_guard<std::mutex> lock(matchers_->mutex);
    if (!matchers_->idle.empty()) {
      matcher = std::move(matchers_->idle.back());
      matchers_->idle.pop_back();
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  if (!matcher) {
    matcher.reset(pattern_->matcher(status));
    if (U_FAILURE(status) || !matcher)
      throw Error(std::string("ICU cannot create a regex matcher: ") + u_errorName(status));
  }
  UText utext = UTEXT_INITIALIZER;
  utext_openUTF8(&utext, text.data(), static_cast<int64_t>(text.size()), &status);
  icu::RegexMatcher& m = *matcher;
  m.reset(&utext);
  while (U_SUCCESS(status) && m.find(status)) {
    const int64_t begin = m.start64(status), end = m.end64(status);
    if (U_FAILURE(status)) break;
    out.push_back({static_cast<size_t>(begin), static_cast<size_t>(end)});
  }
  m.reset(icu::UnicodeString());  // drop the reference to `text` before it goes away
  utext_close(&utext);
  {
    std::lock_guard<std::mutex> lock(matchers_->mutex);
    matchers_->idle.push_back(std::move(matcher));
  }
  if (U_FAILURE(status))
    throw Error(std::string("ICU regex search failed: ") + u_errorName(status));
}

Pattern::Pattern(const JsonNode& node) {
  node.require_object();
  if (node.has("Regex")) {
    const JsonNode regex = node.at("Regex");
    regex_ = std::make_unique<Regex>(regex.string(), regex);
  } else if (node.has("String")) {
    literal_ = node.at("String").string();
  } else {
    node.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  }
}

void Pattern::find_all(std::string_view text, std::vector<Span>& out) const {
  if (regex_) return regex_->find_all(text, out);
  out.clear();
  if (literal_.empty()) return;
  for (size_t at = text.find(literal_); at != std::string_view::npos;
       at = text.find(literal_, at + literal_.size()))
    out.push_back({at, at + literal_.size()});
}

Pieces pieces_from_matches(const std::vector<Span>& matches, size_t size) {
  Pieces pieces;
  if (size == 0) return {{{0, 0}, false}};
  size_t previous = 0;
  for (const Span& match : matches) {
    if (previous != match.begin) pieces.push_back({{previous, match.begin}, false});
    pieces.push_back({match, true});
    previous = match.end;
  }
  if (previous != size) pieces.push_back({{previous, size}, false});
  return pieces;
}

void invert(Pieces& pieces) {
  for (Piece& piece : pieces) piece.is_match = !piece.is_match;
}

SplitBehavior parse_behavior(const JsonNode& node) {
  const std::string name = node.string();
  if (name == "Removed") return SplitBehavior::removed;
  if (name == "Isolated") return SplitBehavior::isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (name == "Contiguous") return SplitBehavior::contiguous;
  node.fail("unknown split behavior '" + name +
            "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

std::vector<Span> split_spans(const Pieces& pieces, SplitBehavior behavior) {
  std::vector<Span> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::isolated:
      for (const Piece& piece : pieces) out.push_back(piece.span);
      break;
    case SplitBehavior::removed:
      for (const Piece& piece : pieces)
        if (!piece.is_match) out.push_back(piece.span);
      break;
    case SplitBehavior::contiguous:
      for (const Piece& piece : pieces) {
        if (piece.is_match == previous_match && !out.empty())
          out.back().end = piece.span.end;
        else
          out.push_back(piece.span);
        previous_match = piece.is_match;
      }
      break;
    case SplitBehavior::merged_with_previous:
      for (const Piece& piece : pieces) {
        if (piece.is_match && !previous_match && !out.empty())
          out.back().end = piece.span.end;
        else
          out.push_back(piece.span);
        previous_match = piece.is_match;
      }
      break;
    case SplitBehavior::merged_with_next:
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty())
          out.back().begin = it->span.begin;
        else
          out.push_back(it->span);
        previous_match = it->is_match;
      }
      std::reverse(out.begin(), out.end());
      break;
  }
  return out;
}

}  // namespace ordo::tokenizer::hf
