#pragma once
// UTF-8 for the tokenizer and the code above it (models, tools): the length a lead byte
// announces, code points from and to bytes, and strict checks for text users hand to the
// tokenizer. The engine, which depends on nothing above it, keeps its own check for safetensors
// headers.
#include <cstddef>
#include <string>
#include <string_view>

namespace ordo::tokenizer {

// The length of the UTF-8 sequence that `lead` starts, from its high bits alone: 1 below 0x80, 2
// below 0xE0, 3 below 0xF0, else 4. Not a check (a continuation byte gets 2, 0xF8 and above 4):
// for text known to be UTF-8, or read leniently (display widths); valid_prefix() checks.
constexpr size_t utf8_sequence_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Decodes the code point at text[i] and moves i past it. Valid UTF-8 is assumed (checked on
// entry); other bytes give some value, and nothing past the text is read.
char32_t next_code_point(std::string_view text, size_t& i);
// The UTF-8 length of a code point, and its bytes appended to `out`.
size_t utf8_length(char32_t c);
void append_utf8(std::string& out, char32_t c);

// How many bytes from text[i] on begin one well-formed UTF-8 sequence (Unicode 15, table 3-7: no
// overlong forms, surrogates or code points past U+10FFFF): utf8_sequence_length(text[i]) for a
// whole one, fewer for one cut short or broken (Rust's from_utf8_lossy puts one U+FFFD for that
// maximal prefix), 0 when text[i] starts none. i < text.size().
size_t valid_prefix(std::string_view text, size_t i);

// Throws ordo::Error naming the byte offset of the first ill-formed sequence (overlong forms,
// surrogates and code points past U+10FFFF included) or of a NUL byte. `what` names the input.
void require_valid_utf8(std::string_view text, const std::string& what);

// The byte offset of the first ill-formed sequence of `text`, or npos when it is all UTF-8. NUL is
// well-formed here: for data (a tokenizer's strings), not text from users.
size_t find_invalid_utf8(std::string_view text);

}  // namespace ordo::tokenizer
