#include "added_vocabulary.h"

#include <algorithm>

#include "json_node.h"

namespace ordo::tokenizer::hf {
namespace {

// The code point ending just before byte `end` of `text`.
char32_t code_point_before(std::string_view text, size_t end) {
  size_t begin = end - 1;
  while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  return next_code_point(text, begin);
}

}  // namespace

AddedVocabulary::AddedVocabulary(const JsonNode& node, const Normalizer* normalizer) {
  if (node.is_null()) return;
  for (size_t i = 0; i < node.size(); ++i) {
    const JsonNode entry = node.at(i);
    AddedToken token;
    token.content = entry.string("content");
    token.id = static_cast<int32_t>(entry.at("id").integer(0, kMaxVocabularyId));
    token.special = entry.boolean("special", false);
    token.single_word = entry.boolean("single_word", false);
    token.lstrip = entry.boolean("lstrip", false);
    token.rstrip = entry.boolean("rstrip", false);
    token.normalized = entry.boolean("normalized", !token.special);
    if (token.content.empty()) continue;  // tokenizers ignores empty added tokens
    const auto same_id = by_id_.find(token.id);
    if (same_id != by_id_.end() && tokens_[same_id->second].content != token.content)
      entry.at("id").fail("id " + std::to_string(token.id) + " is already the added token '" +
                          tokens_[same_id->second].content + "'");
    const auto same_content = by_content_.find(token.content);
    if (same_content != by_content_.end()) {  // given again: the later properties win
      if (tokens_[same_content->second].id != token.id)
        entry.at("id").fail("the added token '" + token.content + "' already has id " +
                            std::to_string(tokens_[same_content->second].id));
      tokens_[same_content->second] = token;
      continue;
    }
    by_id_[token.id] = tokens_.size();
    by_content_[token.content] = tokens_.size();
    largest_id_ = std::max(largest_id_, token.id);
    tokens_.push_back(std::move(token));
  }
  for (size_t index = 0; index < tokens_.size(); ++index) {
    const AddedToken& token = tokens_[index];
    if (!token.normalized) {
      raw_.insert(token.content, static_cast<int32_t>(index));
      continue;
    }
    AlignedText content(token.content);
    if (normalizer != nullptr) normalizer->normalize(content);
    if (!content.empty()) normalized_.insert(content.text(), static_cast<int32_t>(index));
  }
}

const AddedToken* AddedVocabulary::find(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::find(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

bool AddedVocabulary::is_special(std::string_view content) const {
  const AddedToken* token = find(content);
  return token != nullptr && token->special;
}

void AddedVocabulary::split(Segments& segments, const ByteTrie& trie) const {
  Segments out;
  for (Segment& segment : segments) {
    if (segment.added_id >= 0 || segment.text.empty()) {
      if (!segment.text.empty()) out.push_back(std::move(segment));
      continue;
    }
    const std::string& text = segment.text.text();
    size_t kept = 0;  // start of the text not yet handed out
    for (size_t position = 0; position < text.size();) {
      if (!trie.may_start(static_cast<uint8_t>(text[position]))) {
        ++position;
        continue;
      }
      size_t longest = 0;
      int32_t index = -1;
      trie.prefixes(std::string_view(text).substr(position), [&](size_t length, int32_t value) {
        longest = length;
        index = value;
      });
      if (index < 0) {
        ++position;
        continue;
      }
      const AddedToken& token = tokens_[static_cast<size_t>(index)];
      size_t start = position, stop = position + longest;
      position = stop;  // the matcher moves on past the match whatever is done with it
      if (token.single_word) {
        const bool word_before = start > 0 && is_word_char(code_point_before(text, start));
        size_t after = stop;
        const bool word_after = stop < text.size() && is_word_char(next_code_point(text, after));
        if (word_before || word_after) continue;
      }
      if (token.lstrip) {
        size_t new_start = start;
        while (new_start > 0 && is_white_space(code_point_before(text, new_start))) {
          size_t back = new_start - 1;
          while (back > 0 && (static_cast<unsigned char>(text[back]) & 0xC0) == 0x80) --back;
          new_start = back;
        }
        start = std::max(new_start, kept);
      }
      if (token.rstrip) {
        for (size_t i = stop; i < text.size();) {
          const size_t at = i;
          if (!is_white_space(next_code_point(text, i))) {
            stop = at;  // the next code point is not white space: stop before it
            break;
          }
          stop = i;
        }
      }
      if (kept < start) out.push_back({segment.text.slice(kept, start), -1});
      if (start < kept) start = kept;
      out.push_back({segment.text.slice(start, stop), token.id});
      kept = stop;
      position = std::max(position, stop);
    }
    if (kept == 0)
      out.push_back(std::move(segment));  // no added token in it: kept, not copied
    else if (kept < text.size())
      out.push_back({segment.text.slice(kept, text.size()), -1});
  }
  segments = std::move(out);
}

Segments AddedVocabulary::extract_and_normalize(std::string_view text,
                                                const Normalizer* normalizer) const {
  Segments segments;
  segments.push_back({AlignedText(text), -1});
  if (!raw_.empty()) split(segments, raw_);
  for (Segment& segment : segments) {
    if (segment.added_id < 0 && normalizer != nullptr) normalizer->normalize(segment.text);
  }
  if (!normalized_.empty()) split(segments, normalized_);
  segments.erase(std::remove_if(segments.begin(), segments.end(),
                                [](const Segment& s) { return s.text.empty(); }),
                 segments.end());
  return segments;
}

}  // namespace ordo::tokenizer::hf
