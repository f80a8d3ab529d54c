#pragma once
// Strict UTF-8 checks for text that users hand to the tokenizer.
#include <string>
#include <string_view>

namespace ordo::tokenizer {

// Throws ordo::Error naming the byte offset of the first ill-formed sequence (overlong forms,
// surrogates and code points past U+10FFFF included) or of a NUL byte. `what` names the input.
void require_valid_utf8(std::string_view text, const std::string& what);

// The byte offset of the first ill-formed sequence of `text`, or npos when it is all UTF-8. NUL is
// well-formed here: for data (a tokenizer's strings), not text from users.
size_t find_invalid_utf8(std::string_view text);

}  // namespace ordo::tokenizer
