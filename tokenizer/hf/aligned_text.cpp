#include "aligned_text.h"

#include <algorithm>

#include "utf8.h"

namespace ordo::tokenizer::hf {

AlignedText::AlignedText(std::string_view original, size_t shift)
    : text_(original), compact_(true), shift_(shift) {}

Span AlignedText::compact_span(size_t i) const {
  size_t begin = i;
  while (begin > 0 && (static_cast<unsigned char>(text_[begin]) & 0xC0) == 0x80) --begin;
  size_t end = begin;
  next_code_point(text_, end);
  return {shift_ + begin, shift_ + std::min(end, text_.size())};
}

void AlignedText::materialize() {
  if (!compact_) return;
  source_.resize(text_.size());
  for (size_t i = 0; i < text_.size();) {
    const Span span = compact_span(i);
    for (; i < span.end - shift_; ++i) source_[i] = span;
  }
  compact_ = false;
}

void AlignedText::overwrite(size_t i, char32_t c) {
  if (c < 0x80) {  // the common case (lowercasing ASCII), without a temporary string
    text_[i] = static_cast<char>(c);
    return;
  }
  std::string utf8;
  append_utf8(utf8, c);
  text_.replace(i, utf8.size(), utf8);
}

Span AlignedText::original(size_t begin, size_t end) const {
  if (text_.empty()) return {};
  if (begin >= end) {
    const size_t point =
        begin < text_.size() ? source_at(begin).begin : source_at(text_.size() - 1).end;
    return {point, point};
  }
  const Span first = source_at(begin);
  return {first.begin, std::max(first.begin, source_at(end - 1).end)};
}

AlignedText AlignedText::slice(size_t begin, size_t end) const {
  AlignedText out;
  out.text_.assign(text_, begin, end - begin);
  const auto boundary = [&](size_t at) {
    return at >= text_.size() || (static_cast<unsigned char>(text_[at]) & 0xC0) != 0x80;
  };
  if (compact_ && boundary(begin) && boundary(end)) {
    out.compact_ = true;
    out.shift_ = shift_ + begin;
    return out;
  }
  out.source_.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) out.source_.push_back(source_at(i));
  return out;
}

void AlignedText::push(char32_t c, Span source) {
  materialize();
  append_utf8(text_, c);
  while (source_.size() < text_.size()) source_.push_back(source);
}

void AlignedText::push_bytes(std::string_view utf8, Span source) {
  materialize();
  text_ += utf8;
  while (source_.size() < text_.size()) source_.push_back(source);
}

void AlignedText::append(const AlignedText& other, size_t begin, size_t end) {
  materialize();
  text_.append(other.text_, begin, end - begin);
  if (!other.compact_) {
    source_.insert(source_.end(), other.source_.begin() + static_cast<ptrdiff_t>(begin),
                   other.source_.begin() + static_cast<ptrdiff_t>(end));
    return;
  }
  for (size_t i = begin; i < end; ++i) source_.push_back(other.source_at(i));
}

void AlignedText::reserve(size_t bytes) {
  text_.reserve(bytes);
  if (!compact_) source_.reserve(bytes);
}

}  // namespace ordo::tokenizer::hf
