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

// Length of the well-formed sequence starting at text[i] (Unicode 15, table 3-7), or 0.
size_t sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const auto continuation = [&](size_t k, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return i + k < text.size() && byte(k) >= low && byte(k) <= high;
  };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead == 0xE0) return continuation(1, 0xA0) && continuation(2) ? 3 : 0;
  if (lead == 0xED) return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0;  // surrogates
  if (lead >= 0xE1 && lead <= 0xEF) return continuation(1) && continuation(2) ? 3 : 0;
  if (lead == 0xF0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3)
    return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead == 0xF4)
    return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

}  // namespace

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
