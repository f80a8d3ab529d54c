#include "utf8.h"

#include <cstdint>
#include <cstdio>

#include "ordo/error.h"

namespace ordo::tokenizer {
namespace {

std::string hex_byte(unsigned char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", byte);
  return text;
}

// Length of the well-formed sequence starting at text[i], or 0.
size_t sequence_length(std::string_view text, size_t i) {
  const size_t valid = valid_prefix(text, i);
  return valid == utf8_sequence_length(static_cast<unsigned char>(text[i])) ? valid : 0;
}

}  // namespace

size_t valid_prefix(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return 1;
  if (lead < 0xC2 || lead > 0xF4) return 0;  // a continuation byte, an overlong lead, > U+10FFFF
  const size_t length = utf8_sequence_length(lead);
  // The second byte's range narrows after E0 and F0 (overlong forms), ED (surrogates) and F4
  // (past U+10FFFF).
  const unsigned char low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  const unsigned char high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  size_t valid = 1;
  for (; valid < length && i + valid < text.size(); ++valid) {
    const auto byte = static_cast<unsigned char>(text[i + valid]);
    if (byte < (valid == 1 ? low : 0x80) || byte > (valid == 1 ? high : 0xBF)) break;
  }
  return valid;
}

char32_t next_code_point(std::string_view text, size_t& i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  const size_t length = utf8_sequence_length(byte);
  char32_t value = length == 1 ? byte : byte & (0xFF >> (length + 1));
  for (size_t k = 1; k < length && i + k < text.size(); ++k)
    value = (value << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  i += length;
  return value;
}

size_t utf8_length(char32_t c) {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

void require_valid_utf8(std::string_view text, const std::string& what) {
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      throw Error(what + " contains a NUL byte at byte offset " + std::to_string(i));
    }
    const size_t length = sequence_length(text, i);
    if (length == 0) {
      throw Error(what + " is not valid UTF-8: ill-formed sequence starting with byte " +
                  hex_byte(static_cast<unsigned char>(text[i])) + " at byte offset " +
                  std::to_string(i));
    }
    i += length;
  }
}

size_t find_invalid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace ordo::tokenizer
